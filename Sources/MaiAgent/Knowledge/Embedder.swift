import Foundation
import NIOHTTP1

/// Turns texts into vectors (the seam to the outside world; tests use the simulator).
protocol Embedder: Sendable {
    /// The model's name, stored beside each vector so a change of model re-embeds.
    var model: String { get }
    /// One vector per text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// An OpenAI-compatible `POST {base}/embeddings` (`{model, input: [...]}` → `{data: [{embedding, index}]}`),
/// in batches, each retried on rate limits, server errors and network failures.
struct OpenAICompatibleEmbedder: Embedder {
    let model: String
    let baseURL: String
    let apiKey: String?
    let http: UpstreamHTTP
    var batchSize = 64
    var attempts = 3

    struct Response: Decodable {
        struct Item: Decodable {
            var embedding: [Float]
            var index: Int
        }
        var data: [Item]
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(start + batchSize, texts.count)])
            vectors += try await embedBatch(batch)
            start += batchSize
        }
        return vectors
    }

    private func embedBatch(_ batch: [String]) async throws -> [[Float]] {
        let url = baseURL.hasSuffix("/") ? baseURL + "embeddings" : baseURL + "/embeddings"
        let body = try JSONSerialization.data(withJSONObject: ["model": model, "input": batch])
        var headers: [(String, String)] = [("Accept", "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        var delay = Duration.milliseconds(500)
        for attempt in 1...attempts {
            do {
                let response = try await http.json(Response.self, .POST, url, headers: headers, body: body)
                let sorted = response.data.sorted { $0.index < $1.index }
                guard sorted.count == batch.count else {
                    throw ProviderError(status: 502, message: "The embedding endpoint returned \(sorted.count) vectors for \(batch.count) texts.", kind: "upstream")
                }
                return sorted.map(\.embedding)
            } catch let error as ProviderError where attempt < attempts && (error.status == 429 || error.status >= 500) {
                let wait = error.retryAfter.map { Duration.seconds(min($0, 30)) } ?? delay
                try await Task.sleep(for: wait)
                delay = delay * 2
            }
        }
        throw ProviderError(status: 502, message: "The embedding endpoint kept failing.", kind: "upstream")
    }
}
