import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MaiAgent

/// The evaluation set in `tests/rag-eval`: 32 small-company documents and 80 questions, each with
/// the document that answers it. Reports recall@3 (the expected document among the top three
/// passages) for BM25 only and for hybrid retrieval (simulator embeddings), and fails below the floors.
@Suite struct RetrievalEvaluationTests {
    struct Question: Decodable {
        var question: String
        var source: String
    }

    /// BM25's floor is the target the issue sets (0.85); the set has 64 direct questions and 16
    /// paraphrases with little word overlap, so it is not a formality (0.95 when written).
    /// Hybrid's floor is lower (0.80): the simulator's embedding is a hashed bag of words with no
    /// semantics, and reciprocal rank fusion gives its noisy ranking the same weight as BM25, so on
    /// this set hybrid measures that fusion keeps working end to end (vectors stored, model
    /// recorded, ranks fused), not the gain a real embedding model brings on paraphrases.
    static let bm25Floor = 0.85
    static let hybridFloor = 0.80

    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tests/rag-eval")
    }

    @Test func recallAtThree() async throws {
        let corpus = Self.root.appendingPathComponent("corpus")
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        let questions = try JSONDecoder().decode([Question].self, from: Data(contentsOf: Self.root.appendingPathComponent("questions.json")))
        #expect(names.count >= 30)
        #expect(questions.count >= 60)
        #expect(Set(questions.map(\.source)).isSubset(of: Set(names)))

        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent.embedding(harness)
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let collection = try await client.post("/api/v1/knowledge/create", ["name": "Company handbook"], token: tokens.user)
            let collectionID = try #require(collection.json["id"] as? String)
            for name in names {
                let uploaded = try await client.upload(name, try Data(contentsOf: corpus.appendingPathComponent(name)), token: tokens.user)
                #expect(uploaded.status == .ok, "\(name): \(uploaded.detail)")
                _ = try await client.post("/api/v1/knowledge/\(collectionID)/file/add", ["file_id": uploaded.json["id"] as? String ?? ""], token: tokens.user)
            }
            await agent.indexed()
            #expect(try await agent.count("SELECT COUNT(*) FROM files WHERE status = 'ready'") == names.count)
            #expect(try await agent.count("SELECT COUNT(*) FROM chunk_vectors") == (try await agent.count("SELECT COUNT(*) FROM file_chunks")))

            var recall: [String: Double] = [:]
            for mode in ["bm25", "hybrid"] {
                var hits = 0
                var misses: [String] = []
                for question in questions {
                    let found = try await client.query(question.question, [("collection", collectionID)], token: tokens.user, mode: mode, k: 3)
                    if found.contains(where: { $0["filename"] as? String == question.source }) {
                        hits += 1
                    } else {
                        misses.append("\(question.question) → \(found.compactMap { $0["filename"] as? String })")
                    }
                }
                recall[mode] = Double(hits) / Double(questions.count)
                print("rag-eval \(mode): recall@3 = \(String(format: "%.3f", recall[mode]!)) (\(hits)/\(questions.count))")
                for miss in misses { print("  miss [\(mode)] \(miss)") }
            }
            #expect(recall["bm25"]! >= Self.bm25Floor, "BM25 recall@3 \(recall["bm25"]!) is below \(Self.bm25Floor)")
            #expect(recall["hybrid"]! >= Self.hybridFloor, "hybrid recall@3 \(recall["hybrid"]!) is below \(Self.hybridFloor)")
        }
    }
}
