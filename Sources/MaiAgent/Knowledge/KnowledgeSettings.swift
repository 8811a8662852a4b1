import Foundation

/// The retrieval settings in force: the admin's stored values (`settings` table, same keys) over
/// the `RAG_*` environment over built-in defaults, each with where it came from.
struct KnowledgeSettings: Sendable, Equatable {
    /// Characters per chunk (`RAG_CHUNK_SIZE`, 1000).
    var chunkSize: Int
    /// Characters repeated at the start of the next chunk (`RAG_CHUNK_OVERLAP`, 100).
    var chunkOverlap: Int
    /// Passages put into the prompt (`RAG_TOP_K`, 3).
    var topK: Int
    /// Lowest relevance (0…1) a passage needs to be used (`RAG_RELEVANCE_THRESHOLD`, 0).
    var relevanceThreshold: Double
    /// Embedding model at the OpenAI-compatible endpoint; empty means BM25 only (`RAG_EMBEDDING_MODEL`).
    var embeddingModel: String
    /// The endpoint's base URL, `…/v1` style; `/embeddings` is appended (`RAG_EMBEDDING_BASE_URL`).
    var embeddingBaseURL: String
    /// Largest upload in bytes (`RAG_FILE_MAX_SIZE` in MiB, 50).
    var maxFileBytes: Int
    /// Bytes one employee may keep in files (`RAG_USER_QUOTA` in MiB, 500).
    var userQuotaBytes: Int
    /// Passages one employee's files may make together (`RAG_USER_MAX_PASSAGES`, 100,000: about
    /// 100 million characters at the default chunk size). A file over it fails with the reason.
    var userMaxPassages: Int
    /// Where each value came from, by key.
    var sources: [String: SettingSource]

    /// The keys, as stored and as environment variables.
    enum Key: String, CaseIterable, Sendable {
        case chunkSize = "RAG_CHUNK_SIZE"
        case chunkOverlap = "RAG_CHUNK_OVERLAP"
        case topK = "RAG_TOP_K"
        case relevanceThreshold = "RAG_RELEVANCE_THRESHOLD"
        case embeddingModel = "RAG_EMBEDDING_MODEL"
        case embeddingBaseURL = "RAG_EMBEDDING_BASE_URL"
        case maxFileMiB = "RAG_FILE_MAX_SIZE"
        case userQuotaMiB = "RAG_USER_QUOTA"
        case userMaxPassages = "RAG_USER_MAX_PASSAGES"
    }

    /// The secret key for the embedding endpoint lives only in the environment (`RAG_EMBEDDING_API_KEY`,
    /// falling back to `OPENROUTER_API_KEY`), never in the database.
    static func embeddingAPIKey(environment: [String: String]) -> String? {
        for name in ["RAG_EMBEDDING_API_KEY", "OPENROUTER_API_KEY"] {
            if let value = environment[name], !value.isEmpty { return value }
        }
        return nil
    }

    init(stored: [String: String], environment: [String: String]) {
        var sources: [String: SettingSource] = [:]
        func raw(_ key: Key) -> String? {
            if let value = stored[key.rawValue] { sources[key.rawValue] = .database; return value }
            if let value = environment[key.rawValue], !value.isEmpty { sources[key.rawValue] = .environment; return value }
            sources[key.rawValue] = .builtIn
            return nil
        }
        func int(_ key: Key, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
            guard let text = raw(key), let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else { return fallback }
            return value
        }
        chunkSize = int(.chunkSize, 1000, 100...20_000)
        chunkOverlap = min(int(.chunkOverlap, 100, 0...5_000), chunkSize / 2)
        topK = int(.topK, 3, 1...50)
        relevanceThreshold = raw(.relevanceThreshold).flatMap { Double($0) }.map { min(max($0, 0), 1) } ?? 0
        embeddingModel = (raw(.embeddingModel) ?? "").trimmingCharacters(in: .whitespaces)
        embeddingBaseURL = (raw(.embeddingBaseURL) ?? environment["OPENROUTER_BASE_URL"] ?? "https://openrouter.ai/api/v1")
            .trimmingCharacters(in: .whitespaces)
        maxFileBytes = int(.maxFileMiB, 50, 1...4096) << 20
        userQuotaBytes = int(.userQuotaMiB, 500, 1...1_048_576) << 20
        userMaxPassages = int(.userMaxPassages, 100_000, 1...10_000_000)
        self.sources = sources
    }

    /// Checks an admin's change before it is stored; returns the normalised text per key.
    static func validate(_ changes: [String: String]) throws -> [String: String] {
        var clean: [String: String] = [:]
        for (name, value) in changes {
            guard let key = Key(rawValue: name) else {
                throw APIError(.unprocessableContent, "Unknown retrieval setting '\(name.prefix(40))'. Known: \(Key.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            let text = value.trimmingCharacters(in: .whitespaces)
            func whole(_ range: ClosedRange<Int>) throws -> String {
                guard let number = Int(text), range.contains(number) else {
                    throw APIError(.unprocessableContent, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
                }
                return String(number)
            }
            switch key {
            case .chunkSize: clean[name] = try whole(100...20_000)
            case .chunkOverlap: clean[name] = try whole(0...5_000)
            case .topK: clean[name] = try whole(1...50)
            case .maxFileMiB: clean[name] = try whole(1...4096)
            case .userQuotaMiB: clean[name] = try whole(1...1_048_576)
            case .userMaxPassages: clean[name] = try whole(1...10_000_000)
            case .relevanceThreshold:
                guard let number = Double(text), (0...1).contains(number) else {
                    throw APIError(.unprocessableContent, "RAG_RELEVANCE_THRESHOLD must be a number from 0 to 1.")
                }
                clean[name] = text
            case .embeddingModel: clean[name] = String(text.prefix(200))
            case .embeddingBaseURL:
                guard text.isEmpty || (URL(string: text)?.scheme.map { ["http", "https"].contains($0) } ?? false) else {
                    throw APIError(.unprocessableContent, "RAG_EMBEDDING_BASE_URL must be an http(s) URL such as https://openrouter.ai/api/v1.")
                }
                clean[name] = text
            }
        }
        return clean
    }
}

extension AgentServices {
    func knowledgeSettings() async throws -> KnowledgeSettings {
        KnowledgeSettings(stored: try await settings.repository.storedValues(), environment: settings.environment)
    }
}
