import Foundation
import NIOHTTP1

/// Google's Gemini API (`streamGenerateContent?alt=sse`).
struct GeminiProvider: ChatProvider {
    let http: UpstreamHTTP
    /// e.g. `https://generativelanguage.googleapis.com` (the `/v1beta/…` paths are added).
    let baseURL: String
    let apiKey: String

    var headers: [(String, String)] { [("x-goog-api-key", apiKey)] }
    var host: String { UpstreamHTTP.host(baseURL) }

    func models() async throws -> [ProviderModel] {
        struct List: Decodable {
            struct Model: Decodable {
                var name: String
                var displayName: String?
                var inputTokenLimit: Int?
                var supportedGenerationMethods: [String]?
            }
            var models: [Model]?
        }
        let list = try await http.json(List.self, .GET, "\(baseURL)/v1beta/models?pageSize=1000", headers: headers)
        return (list.models ?? [])
            .filter { $0.supportedGenerationMethods?.contains("generateContent") ?? true }
            .map {
                let id = $0.name.hasPrefix("models/") ? String($0.name.dropFirst(7)) : $0.name
                return ProviderModel(id: id, name: $0.displayName ?? id, contextLength: $0.inputTokenLimit)
            }
    }

    func stream(_ request: ProviderChatRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        guard request.model.allSatisfy({ $0.isLetter || $0.isNumber || "-._".contains($0) }) else {
            throw ProviderError(status: 400, message: "'\(request.model)' is not a Gemini model id.", kind: "bad_request")
        }
        let url = "\(baseURL)/v1beta/models/\(request.model):streamGenerateContent?alt=sse"
        let response = try await http.send(.POST, url, headers: headers, body: try requestBody(request))
        let host = self.host
        return providerStream { continuation in
            let decoder = JSONDecoder()
            var started = false
            var usage: TokenUsage?
            var reason: String?
            try await response.body.forEachServerSentEvent(host: host) { event in
                guard let data = event.data.data(using: .utf8), let chunk = try? decoder.decode(Chunk.self, from: data) else { return true }
                if let error = chunk.error {
                    continuation.yield(.failed(ProviderError.forStatus(error.code ?? 502, message: error.message ?? "The provider reported an error.")))
                    reason = "error"
                    return false
                }
                if !started {
                    started = true
                    continuation.yield(.started(id: chunk.responseId, model: chunk.modelVersion))
                }
                for part in chunk.candidates?.first?.content?.parts ?? [] where part.thought != true {
                    // Parts that carry only a thoughtSignature have no text: skipped.
                    if let text = part.text, !text.isEmpty { continuation.yield(.text(text)) }
                }
                if let finish = chunk.candidates?.first?.finishReason { reason = finish }
                if let metadata = chunk.usageMetadata {
                    usage = TokenUsage(promptTokens: metadata.promptTokenCount ?? 0,
                                       completionTokens: (metadata.candidatesTokenCount ?? 0) + (metadata.thoughtsTokenCount ?? 0),
                                       reportedCost: nil)
                }
                return true
            }
            guard let reason else {
                throw ProviderError(status: 502, message: "The provider at \(host) ended the answer before it was complete.", kind: "network")
            }
            if reason == "error" { return }
            if let usage { continuation.yield(.usage(usage)) }
            continuation.yield(.finished(reason: Self.finishReason(reason)))
        }
    }

    func requestBody(_ request: ProviderChatRequest) throws -> Data {
        var system: [String] = []
        var contents: [JSONValue] = []
        for message in request.messages {
            if message.role == "system" { system.append(message.content); continue }
            let role = message.role == "assistant" ? "model" : "user"
            contents.append(.object(["role": .string(role), "parts": .array([.object(["text": .string(message.content)])])]))
        }
        var object: [String: JSONValue] = ["contents": .array(contents)]
        if !system.isEmpty {
            object["systemInstruction"] = .object(["parts": .array([.object(["text": .string(system.joined(separator: "\n\n"))])])])
        }
        var generation: [String: JSONValue] = [:]
        if let value = request.options["temperature"] { generation["temperature"] = value }
        if let value = request.options["top_p"] { generation["topP"] = value }
        if let value = request.options["max_tokens"] { generation["maxOutputTokens"] = value }
        if let stop = request.options["stop"] { generation["stopSequences"] = if case .string = stop { .array([stop]) } else { stop } }
        if !generation.isEmpty { object["generationConfig"] = .object(generation) }
        return try JSONEncoder().encode(object)
    }

    static func finishReason(_ reason: String) -> String {
        switch reason {
        case "STOP": "stop"
        case "MAX_TOKENS": "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII": "content_filter"
        default: reason.lowercased()
        }
    }

    struct Chunk: Decodable {
        struct Candidate: Decodable {
            struct Content: Decodable {
                struct Part: Decodable {
                    var text: String?
                    var thought: Bool?
                }
                var parts: [Part]?
            }
            var content: Content?
            var finishReason: String?
        }
        struct Usage: Decodable {
            var promptTokenCount: Int?
            var candidatesTokenCount: Int?
            var thoughtsTokenCount: Int?
        }
        struct Failure: Decodable {
            var code: Int?
            var message: String?
        }
        var candidates: [Candidate]?
        var usageMetadata: Usage?
        var modelVersion: String?
        var responseId: String?
        var error: Failure?
    }
}
