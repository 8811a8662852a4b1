import AsyncHTTPClient
import Foundation
import MaiCore
import NIOHTTP1

/// OpenAI's chat-completions protocol: OpenRouter (the default), OpenAI, Ollama's `/v1`, and any
/// compatible base URL. For OpenRouter it also sends `user` and `session_id`.
struct OpenAICompatibleProvider: ChatProvider {
    let http: UpstreamHTTP
    /// e.g. `https://openrouter.ai/api/v1` (no trailing slash).
    let baseURL: String
    let apiKey: String?
    let isOpenRouter: Bool
    /// Extra headers (OpenRouter's app attribution).
    var extraHeaders: [(String, String)] = []

    var headers: [(String, String)] {
        var headers = extraHeaders
        if let apiKey, !apiKey.isEmpty { headers.append(("Authorization", "Bearer \(apiKey)")) }
        return headers
    }

    var host: String { UpstreamHTTP.host(baseURL) }

    func models() async throws -> [ProviderModel] {
        struct List: Decodable {
            struct Model: Decodable {
                struct Pricing: Decodable {
                    var prompt: String?
                    var completion: String?
                }
                var id: String
                var name: String?
                var context_length: Int?
                var pricing: Pricing?
                var created: Int64?
            }
            var data: [Model]
        }
        let list = try await http.json(List.self, .GET, "\(baseURL)/models", headers: headers)
        return list.data.map {
            ProviderModel(id: $0.id, name: $0.name ?? $0.id, contextLength: $0.context_length,
                          promptPrice: $0.pricing?.prompt, completionPrice: $0.pricing?.completion, created: $0.created)
        }
    }

    func stream(_ request: ProviderChatRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        let body = try requestBody(request)
        let response = try await http.send(.POST, "\(baseURL)/chat/completions", headers: headers + [("Accept", "text/event-stream")], body: body)
        let host = self.host
        // OpenRouter names the generation in the response head: known before the first chunk.
        let named = response.headers.first(name: "X-Generation-Id").map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : String($0.prefix(200)) }
        if let named { await request.onNamed?(named) }
        return providerStream { continuation in
            let decoder = JSONDecoder()
            var started = false
            if let named {
                started = true
                continuation.yield(.started(id: named, model: nil))
            }
            var finished = false
            try await response.body.forEachServerSentEvent(host: host) { event in
                if event.data == "[DONE]" { return false }
                guard let data = event.data.data(using: .utf8), let chunk = try? decoder.decode(StreamChunk.self, from: data) else {
                    return true  // tolerate what we do not understand, as OpenAI clients do
                }
                if !started {
                    started = true
                    continuation.yield(.started(id: chunk.id, model: chunk.model))
                }
                if let error = chunk.error {
                    continuation.yield(.failed(ProviderError.forStatus(error.code?.intValue ?? 502, message: error.message ?? "The provider reported an error.")))
                    finished = true
                    return false
                }
                if let text = chunk.choices?.first?.delta?.content, !text.isEmpty {
                    continuation.yield(.text(text))
                }
                if let usage = chunk.usage {
                    continuation.yield(.usage(TokenUsage(promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0,
                                                         reportedCost: usage.cost.flatMap(Money.init))))
                }
                if let reason = chunk.choices?.first?.finish_reason, !finished {
                    finished = true
                    continuation.yield(.finished(reason: reason))
                }
                return true
            }
            if !finished {
                throw ProviderError(status: 502, message: "The provider at \(host) ended the answer before it was complete.", kind: "network")
            }
        }
    }

    func requestBody(_ request: ProviderChatRequest) throws -> Data {
        var object: [String: JSONValue] = request.options
        object["model"] = .string(request.model)
        object["stream"] = .bool(true)
        object["messages"] = .array(request.messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) })
        if isOpenRouter {
            if let user = request.user { object["user"] = .string(user) }
            if let session = request.sessionID { object["session_id"] = .string(session) }
        } else {
            // OpenAI's own API reports usage in the stream only when asked.
            object["stream_options"] = .object(["include_usage": .bool(true)])
        }
        return try JSONEncoder().encode(object)
    }

    /// The parts of an OpenAI stream chunk the agent reads.
    struct StreamChunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable {
                var content: String?
            }
            var delta: Delta?
            var finish_reason: String?
        }
        struct Usage: Decodable {
            var prompt_tokens: Int?
            var completion_tokens: Int?
            var cost: Decimal?
        }
        struct Failure: Decodable {
            var code: JSONValue?
            var message: String?
        }
        var id: String?
        var model: String?
        var choices: [Choice]?
        var usage: Usage?
        var error: Failure?
    }
}
