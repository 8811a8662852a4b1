import Foundation
import NIOHTTP1

/// Anthropic's Messages API, streamed (`message_start` … `message_stop`).
struct AnthropicProvider: ChatProvider {
    let http: UpstreamHTTP
    /// e.g. `https://api.anthropic.com` (the `/v1/…` paths are added).
    let baseURL: String
    let apiKey: String

    var headers: [(String, String)] { [("x-api-key", apiKey), ("anthropic-version", "2023-06-01")] }
    var host: String { UpstreamHTTP.host(baseURL) }

    func models() async throws -> [ProviderModel] {
        struct List: Decodable {
            struct Model: Decodable {
                var id: String
                var display_name: String?
            }
            var data: [Model]
        }
        return try await http.json(List.self, .GET, "\(baseURL)/v1/models?limit=1000", headers: headers).data.map {
            ProviderModel(id: $0.id, name: $0.display_name ?? $0.id)
        }
    }

    func stream(_ request: ProviderChatRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        let response = try await http.send(.POST, "\(baseURL)/v1/messages", headers: headers, body: try requestBody(request))
        let host = self.host
        return providerStream { continuation in
            let decoder = JSONDecoder()
            var inputTokens = 0
            var outputTokens = 0
            var stopReason: String?
            var ended = false
            try await response.body.forEachServerSentEvent(host: host) { event in
                guard let data = event.data.data(using: .utf8), let payload = try? decoder.decode(Event.self, from: data) else { return true }
                switch payload.type ?? event.name {
                case "message_start":
                    inputTokens = payload.message?.usage?.input_tokens ?? 0
                    outputTokens = payload.message?.usage?.output_tokens ?? 0
                    continuation.yield(.started(id: payload.message?.id, model: payload.message?.model))
                case "content_block_delta":
                    if payload.delta?.type == "text_delta", let text = payload.delta?.text, !text.isEmpty {
                        continuation.yield(.text(text))
                    }
                case "message_delta":
                    if let reason = payload.delta?.stop_reason { stopReason = reason }
                    if let output = payload.usage?.output_tokens { outputTokens = output }
                case "message_stop":
                    continuation.yield(.usage(TokenUsage(promptTokens: inputTokens, completionTokens: outputTokens, reportedCost: nil)))
                    continuation.yield(.finished(reason: Self.finishReason(stopReason)))
                    ended = true
                    return false
                case "error":
                    let type = payload.error?.type ?? "api_error"
                    let status = type == "overloaded_error" ? 529 : type == "rate_limit_error" ? 429 : 502
                    continuation.yield(.failed(ProviderError.forStatus(status, message: payload.error?.message ?? type)))
                    ended = true
                    return false
                default:
                    break  // ping, content_block_start/stop, thinking deltas
                }
                return true
            }
            if !ended {
                throw ProviderError(status: 502, message: "The provider at \(host) ended the answer before it was complete.", kind: "network")
            }
        }
    }

    /// Anthropic wants the system prompt apart and strictly alternating user/assistant turns.
    func requestBody(_ request: ProviderChatRequest) throws -> Data {
        var system: [String] = []
        var turns: [(role: String, content: String)] = []
        for message in request.messages {
            if message.role == "system" { system.append(message.content); continue }
            let role = message.role == "assistant" ? "assistant" : "user"
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].content += "\n\n" + message.content
            } else {
                turns.append((role, message.content))
            }
        }
        if turns.first?.role == "assistant" { turns.insert(("user", "(continued)"), at: 0) }
        var object: [String: JSONValue] = [
            "model": .string(request.model),
            "stream": .bool(true),
            "max_tokens": .integer(Int64(request.options["max_tokens"]?.intValue ?? 4096)),
            "messages": .array(turns.map { .object(["role": .string($0.role), "content": .string($0.content)]) }),
        ]
        if !system.isEmpty { object["system"] = .string(system.joined(separator: "\n\n")) }
        for key in ["temperature", "top_p", "top_k"] { if let value = request.options[key] { object[key] = value } }
        if let stop = request.options["stop"] {
            object["stop_sequences"] = if case .string = stop { .array([stop]) } else { stop }
        }
        return try JSONEncoder().encode(object)
    }

    static func finishReason(_ stopReason: String?) -> String {
        switch stopReason {
        case "max_tokens": "length"
        case "tool_use": "tool_calls"
        case "refusal": "content_filter"
        default: "stop"
        }
    }

    struct Event: Decodable {
        struct Message: Decodable {
            struct Usage: Decodable {
                var input_tokens: Int?
                var output_tokens: Int?
            }
            var id: String?
            var model: String?
            var usage: Usage?
        }
        struct Delta: Decodable {
            var type: String?
            var text: String?
            var stop_reason: String?
        }
        struct Usage: Decodable {
            var output_tokens: Int?
        }
        struct Failure: Decodable {
            var type: String?
            var message: String?
        }
        var type: String?
        var message: Message?
        var delta: Delta?
        var usage: Usage?
        var error: Failure?
    }
}
