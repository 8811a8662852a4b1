import Foundation
import Hummingbird

extension OpenRouterSimulator {
    /// `GET /api/v1/models` (no key needed, as on openrouter.ai).
    func models() -> Response {
        SimulatorResponses.json(.object([("data", .array(configuration.models.map(\.catalogEntry)))]))
    }

    /// `POST /api/v1/embeddings`: deterministic hashed bag-of-words vectors.
    func embeddings(_ incoming: Request) async throws -> Response {
        var request = incoming
        let key = try authenticate(request)
        if key.disabled { throw OpenRouterError(401, "This API key is disabled. Enable it with PATCH /keys/{hash} or use another key.") }
        let buffer = try await request.collectBody(upTo: 16 * 1024 * 1024)
        let body: EmbeddingsRequest
        do {
            body = try JSONDecoder().decode(EmbeddingsRequest.self, from: Data(buffer: buffer))
        } catch {
            throw OpenRouterError(400, "Invalid request parameters: send {\"model\": …, \"input\": \"text\" or [\"text\", …]}.")
        }
        guard configuration.embeddingModels.contains(body.model) else {
            throw OpenRouterError(400, "\(body.model) is not a valid model ID")
        }
        guard !body.input.isEmpty else { throw OpenRouterError(400, "Input required: \"input\" must not be empty.") }
        let embedder = HashedEmbedding(dimensions: body.dimensions ?? configuration.embeddingDimensions)
        var tokens = 0
        let data: [JSONValue] = body.input.enumerated().map { index, text in
            tokens += SimTokenizer.count(text)
            return .object([
                ("object", .string("embedding")),
                ("embedding", .array(embedder.vector(for: text).map { .number("\($0)") })),
                ("index", .int(index)),
            ])
        }
        return SimulatorResponses.json(.object([
            ("id", .string("embd-" + CompletionRun.newID(now: Int64(clock.now.timeIntervalSince1970)).dropFirst(4))),
            ("object", .string("list")),
            ("data", .array(data)),
            ("model", .string(body.model)),
            ("usage", .object([("prompt_tokens", .int(tokens)), ("total_tokens", .int(tokens))])),
        ]))
    }
}

/// The body of `POST /embeddings`: `input` is a string or an array of strings.
struct EmbeddingsRequest: Decodable {
    var model: String
    var input: [String]
    var dimensions: Int?

    enum CodingKeys: String, CodingKey { case model, input, dimensions }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        dimensions = try container.decodeIfPresent(Int.self, forKey: .dimensions).map { min(max($0, 1), 4096) }
        if let single = try? container.decode(String.self, forKey: .input) {
            input = [single]
        } else {
            input = try container.decode([String].self, forKey: .input)
        }
    }
}
