import Foundation
import Logging

/// Extracts, chunks and indexes queued files one at a time in the background, then embeds new
/// passages when an embedding model is set. `kick()` after queuing a file; at start the agent
/// re-queues files a stop left half-done.
actor IngestionWorker {
    private let knowledge: KnowledgeService
    private let settings: @Sendable () async throws -> KnowledgeSettings
    private let now: @Sendable () -> Int64
    private let logger: Logger
    private var running: Task<Void, Never>?
    private var again = false

    init(knowledge: KnowledgeService, settings: @escaping @Sendable () async throws -> KnowledgeSettings, now: @escaping @Sendable () -> Int64, logger: Logger) {
        self.knowledge = knowledge
        self.settings = settings
        self.now = now
        self.logger = logger
    }

    /// Starts draining the queue unless a drain is already running (which then runs once more).
    func kick() {
        guard running == nil else { again = true; return }
        running = Task { await self.drain() }
    }

    /// Waits until the queue is empty (tests and the benchmark).
    func idle() async {
        while let task = running { await task.value }
    }

    private func drain() async {
        repeat {
            again = false
            while let file = try? await knowledge.store.claimQueued(now: now()) {
                await process(file)
            }
            await embedPending()
        } while again
        running = nil
    }

    private func process(_ file: FileRecord) async {
        let path = knowledge.path(of: file.id)
        do {
            let current = try await settings()
            let document = try await knowledge.reader.read(path: path, name: file.filename)
            let chunker = Chunker(size: current.chunkSize, overlap: current.chunkOverlap)
            let chunks = try await DocumentReader.offloaded { () throws(ExtractionError) in chunker.chunks(document) }
            guard chunks.count <= ExtractionBudget.maximumPassages else {
                throw ExtractionError.tooLarge("The file would become \(chunks.count) passages; at most \(ExtractionBudget.maximumPassages) are kept per file. Split it into smaller files and upload them.")
            }
            // The files are read one at a time, so this count cannot race another file of the same person.
            let others = try await knowledge.store.passageCount(userID: file.userID, excluding: file.id)
            guard others + chunks.count <= current.userMaxPassages else {
                throw ExtractionError.tooLarge("Your documents already make \(others) passages and this file would add \(chunks.count); each person may have \(current.userMaxPassages). Delete documents you no longer need, or ask your administrator to raise the limit (RAG_USER_MAX_PASSAGES).")
            }
            try await knowledge.store.storePassages(fileID: file.id, kind: document.kind, pages: document.pageCount, chunkSize: current.chunkSize, chunks: chunks, now: now())
            logger.info("file indexed", metadata: ["mai.file": .string(file.id), "mai.passages": "\(chunks.count)"])
        } catch let error as ExtractionError {
            await fail(file.id, code: error.code, message: error.message)
        } catch {
            logger.error("file indexing failed", metadata: ["mai.file": .string(file.id), "error": "\(error)"])
            await fail(file.id, code: "failed", message: "The file could not be processed. Try uploading it again.")
        }
    }

    private func fail(_ id: String, code: String, message: String) async {
        let time = now()
        _ = try? await knowledge.store.update(id) {
            $0.status = .failed
            $0.errorCode = code
            $0.error = message
            $0.updatedAt = time
        }
    }

    /// Embeds passages that have no vector for the current model (all of them after a model change).
    private func embedPending() async {
        guard let current = try? await settings(), let embedder = knowledge.embedder(current) else { return }
        while true {
            guard let batch = try? await knowledge.store.passagesNeedingVectors(model: embedder.model, limit: 256), !batch.isEmpty else { return }
            do {
                let vectors = try await embedder.embed(batch.map { $0.text })
                try await knowledge.store.storeVectors(zip(batch.map { $0.id }, vectors).map { (id: $0, vector: $1) }, model: embedder.model)
                await knowledge.vectors.invalidate()
            } catch {
                // BM25 keeps working; the next kick tries again.
                logger.warning("embedding failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }
}
