import Foundation

/// A passage chosen for a question, with how it was found.
struct RetrievedPassage: Sendable, Equatable {
    var passage: PassageRow
    /// 0…1: the cosine similarity when vectors exist, else BM25 score s mapped to s / (s + 1).
    var relevance: Double
    /// Fused score used for ordering.
    var score: Double
}

/// Finds the best passages for a question among the files the caller may see: BM25 (FTS5)
/// always; with an embedder, cosine similarity as a second ranking, fused by reciprocal rank
/// fusion (score = Σ 1 / (60 + rank)).
struct Retriever: Sendable {
    let store: KnowledgeStore
    let embedder: (any Embedder)?
    let vectors: VectorIndex
    /// Candidates taken from each ranking before fusion.
    var candidates = 50
    static let fusionK = 60.0

    enum Mode: String, Sendable { case bm25, hybrid }

    /// Up to `topK` passages of `fileIDs` (already restricted to what the caller may see) whose
    /// relevance reaches `threshold`, best first.
    func retrieve(_ question: String, fileIDs: [String], topK: Int, threshold: Double, mode: Mode? = nil) async throws -> [RetrievedPassage] {
        guard !fileIDs.isEmpty else { return [] }
        let mode = mode ?? (embedder == nil ? .bm25 : .hybrid)
        var lexical: [(id: Int64, score: Double)] = []
        if let match = SearchTerms.matchExpression(question) {
            lexical = try await store.bm25(match: match, fileIDs: fileIDs, limit: candidates)
        }
        var cosine: [Int64: Double] = [:]
        var semantic: [Int64] = []
        if mode == .hybrid, let embedder, let query = try await embedder.embed([question]).first {
            let nearest = try await vectors.nearest(query, model: embedder.model, allowed: Set(fileIDs), limit: candidates)
            for hit in nearest { cosine[hit.id] = hit.cosine }
            semantic = nearest.map(\.id)
        }
        var fused: [Int64: Double] = [:]
        for (rank, hit) in lexical.enumerated() { fused[hit.id, default: 0] += 1 / (Self.fusionK + Double(rank + 1)) }
        for (rank, id) in semantic.enumerated() { fused[id, default: 0] += 1 / (Self.fusionK + Double(rank + 1)) }
        let bm25 = Dictionary(lexical.map { ($0.id, $0.score) }, uniquingKeysWith: { a, _ in a })
        let ranked = fused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        var chosen: [(Int64, Double, Double)] = []
        for (id, score) in ranked {
            let relevance = cosine[id].map { max(0, $0) } ?? bm25[id].map { $0 / ($0 + 1) } ?? 0
            guard relevance >= threshold else { continue }
            chosen.append((id, relevance, score))
            if chosen.count == topK { break }
        }
        let rows = try await store.passages(ids: chosen.map { $0.0 })
        return chosen.compactMap { id, relevance, score in
            rows[id].map { RetrievedPassage(passage: $0, relevance: relevance, score: score) }
        }
    }
}
