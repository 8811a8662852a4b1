import Foundation
import NIOCore

/// Writes OpenAI `chat.completion.chunk` server-sent events by hand: one small string per token
/// on the hot path, no `JSONEncoder` per chunk.
struct ChunkEncoder: Sendable {
    let id: String
    let model: String
    let created: Int64

    /// `data: {…"delta":{"role":"assistant","content":""}…}`
    func roleChunk() -> ByteBuffer {
        event(#""delta":{"role":"assistant","content":""},"finish_reason":null"#)
    }

    func textChunk(_ text: String) -> ByteBuffer {
        event(#""delta":{"content":"# + Self.quoted(text) + #"},"finish_reason":null"#)
    }

    func finishChunk(reason: String, usage: TokenUsage?) -> ByteBuffer {
        var extra = ""
        if let usage {
            extra = #","usage":{"prompt_tokens":\#(usage.promptTokens),"completion_tokens":\#(usage.completionTokens),"total_tokens":\#(usage.totalTokens)"#
            if let cost = usage.reportedCost { extra += #","cost":\#(cost.formatted(decimals: 9))"# }
            extra += "}"
        }
        return event(#""delta":{},"finish_reason":"# + Self.quoted(reason), extra: extra)
    }

    /// An error after the stream began: OpenRouter's shape (top-level `error`, `finish_reason: "error"`),
    /// which the OpenAI SDKs raise as an exception.
    func errorChunk(status: Int, message: String) -> ByteBuffer {
        event(#""delta":{},"finish_reason":"error""#, extra: #","error":{"code":\#(status),"message":"# + Self.quoted(message) + "}")
    }

    static let done = ByteBuffer(string: "data: [DONE]\n\n")
    static let keepAlive = ByteBuffer(string: ": keep-alive\n\n")

    private func event(_ choice: String, extra: String = "") -> ByteBuffer {
        ByteBuffer(string: #"data: {"id":"# + Self.quoted(id) + #","object":"chat.completion.chunk","created":\#(created),"model":"# + Self.quoted(model)
            + #","choices":[{"index":0,"# + choice + "}]" + extra + "}\n\n")
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
