import Foundation
import GRDB
import Logging

/// Documents and knowledge for one agent: the store, the upload directory, the reader, the
/// background worker, and the embedder the settings ask for.
final class KnowledgeService: Sendable {
    let store: KnowledgeStore
    /// `DATA_DIR/uploads`: one file per upload, named by its id.
    let uploads: String
    let reader: DocumentReader
    let http: UpstreamHTTP
    /// `RAG_EMBEDDING_API_KEY`, else `OPENROUTER_API_KEY`: the operator's secret.
    let embeddingKey: String?
    /// The address the operator meant that key for: `RAG_EMBEDDING_BASE_URL`, else
    /// `OPENROUTER_BASE_URL`, else openrouter.ai — both from the environment.
    let operatorEmbeddingURL: String
    /// The current model's vectors in memory.
    let vectors: VectorIndex
    private let workerBox: WorkerBox

    final class WorkerBox: @unchecked Sendable {
        // Set once in `start`, read afterwards.
        var worker: IngestionWorker?
    }

    init(pool: DatabasePool, dataDirectory: String, http: UpstreamHTTP, environment: [String: String], reader: DocumentReader = DocumentReader()) throws {
        self.store = KnowledgeStore(pool: pool)
        self.uploads = (dataDirectory as NSString).appendingPathComponent("uploads")
        self.reader = reader
        self.http = http
        self.embeddingKey = KnowledgeSettings.embeddingAPIKey(environment: environment)
        self.operatorEmbeddingURL = KnowledgeSettings(stored: [:], environment: environment).embeddingBaseURL
        self.workerBox = WorkerBox()
        self.vectors = VectorIndex(pool: pool)
        try FileManager.default.createDirectory(atPath: uploads, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Makes the background worker (called once while the services are built).
    func start(settings: @escaping @Sendable () async throws -> KnowledgeSettings, now: @escaping @Sendable () -> Int64, logger: Logger) {
        workerBox.worker = IngestionWorker(knowledge: self, settings: settings, now: now, logger: logger)
    }

    var worker: IngestionWorker { workerBox.worker! }

    func path(of fileID: String) -> String {
        (uploads as NSString).appendingPathComponent(fileID)
    }

    /// The embedder the settings configure, or `nil` for BM25 only.
    func embedder(_ settings: KnowledgeSettings) -> (any Embedder)? {
        guard !settings.embeddingModel.isEmpty, !settings.embeddingBaseURL.isEmpty else { return nil }
        return OpenAICompatibleEmbedder(model: settings.embeddingModel, baseURL: settings.embeddingBaseURL, apiKey: embeddingKey(for: settings), http: http)
    }

    /// The operator's embedding key, only for the operator's embedding address: an address an
    /// admin set in the web app gets no key (and must be public, see `OutboundPolicy`).
    func embeddingKey(for settings: KnowledgeSettings) -> String? {
        ConnectionStore.trimmed(settings.embeddingBaseURL) == ConnectionStore.trimmed(operatorEmbeddingURL) ? embeddingKey : nil
    }

    /// Refuses an embedding address the outbound policy would not call (400 naming what to do).
    func checkEmbeddingAddress(_ url: String) async throws {
        do {
            try await http.outbound.check(url)
        } catch let refusal as OutboundRefusal {
            throw APIError(.badRequest, "RAG_EMBEDDING_BASE_URL: \(refusal.message)")
        }
    }

    func retriever(_ settings: KnowledgeSettings) -> Retriever {
        Retriever(store: store, embedder: embedder(settings), vectors: vectors)
    }
}
