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
    let embeddingKey: String?
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
        return OpenAICompatibleEmbedder(model: settings.embeddingModel, baseURL: settings.embeddingBaseURL, apiKey: embeddingKey, http: http)
    }

    func retriever(_ settings: KnowledgeSettings) -> Retriever {
        Retriever(store: store, embedder: embedder(settings), vectors: vectors)
    }
}
