import NIOCore

/// Renders one completion's SSE lines from pre-built pieces, so each content chunk costs one string
/// concatenation and no encoder.
struct ChatChunkFormatter: Sendable {
    private let prefix: String
    private let head: String
    private static let contentTail = "},\"finish_reason\":null,\"native_finish_reason\":null,\"logprobs\":null}]}\n\n"

    static let keepAlive = ByteBuffer(string: ": OPENROUTER PROCESSING\n\n")
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    init(run: CompletionRun) {
        head = "{\"id\":\(JSONValue.quoted(run.id)),\"provider\":\(JSONValue.quoted(run.model.providerName)),"
            + "\"model\":\(JSONValue.quoted(run.model.id)),\"object\":\"chat.completion.chunk\",\"created\":\(run.created),"
        prefix = "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
    }

    /// A content chunk carrying `text`.
    func content(_ text: String) -> ByteBuffer {
        var line = prefix
        JSONValue.appendQuoted(text, to: &line)
        line += Self.contentTail
        return ByteBuffer(string: line)
    }

    /// The closing chunk with `finishReason` and `usage`.
    func final(finishReason: String, usage: JSONValue) -> ByteBuffer {
        var line = prefix + "\"\"},\"finish_reason\":\(JSONValue.quoted(finishReason)),\"native_finish_reason\":\(JSONValue.quoted(finishReason)),\"logprobs\":null}],\"usage\":"
        usage.render(into: &line)
        line += "}\n\n"
        return ByteBuffer(string: line)
    }

    /// A mid-stream error chunk: top-level `error` and `finish_reason: "error"`.
    func error(code: Int, message: String) -> ByteBuffer {
        var line = "data: " + head + "\"error\":{\"code\":\(code),\"message\":"
        JSONValue.appendQuoted(message, to: &line)
        line += "},\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":\"error\",\"native_finish_reason\":\"error\",\"logprobs\":null}]}\n\n"
        return ByteBuffer(string: line)
    }
}
