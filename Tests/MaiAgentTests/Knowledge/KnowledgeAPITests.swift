import Foundation
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import NIOCore
import GRDB
import Testing

@testable import MaiAgent

/// Upload, background extraction, collections, sharing, access and answers with sources, through
/// the agent's routes on a real SQLite file.
@Suite struct KnowledgeAPITests {
    static let handbook = """
        # Handbook

        Employees have 28 days of paid annual leave per calendar year.

        The office Wi-Fi for visitors is called BW-Guest; the password is at reception.
        """
    static let secret = "The acquisition of Kowalski Logistics closes on 3 August. The price is 12 million euros."

    @Test func uploadIsReadInTheBackgroundAndFound() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let uploaded = try await client.upload("handbook.md", text: Self.handbook, token: tokens.user)
            #expect(uploaded.status == .ok, "\(uploaded.detail)")
            let id = try #require(uploaded.json["id"] as? String)
            #expect(uploaded.json["kind"] as? String == "markdown")
            #expect(["queued", "processing", "ready"].contains(uploaded.json["status"] as? String ?? ""))
            await agent.indexed()
            let file = try await client.get("/api/v1/files/\(id)", token: tokens.user).json
            #expect(file["status"] as? String == "ready")
            #expect((file["chunk_count"] as? Int ?? 0) >= 1)
            let found = try await client.query("How many vacation days per year?", [("file", id)], token: tokens.user)
            #expect(found.first?["file_id"] as? String == id)
            #expect((found.first?["text"] as? String)?.contains("28 days of paid annual leave") == true)
            #expect(found.first?["filename"] as? String == "handbook.md")
            // The listing shows it; deleting removes the passages too.
            #expect(try await client.get("/api/v1/files/", token: tokens.user).jsonArray.count == 1)
            #expect(try await client.delete("/api/v1/files/\(id)", token: tokens.user).status == .ok)
            #expect(try await agent.count("SELECT COUNT(*) FROM file_chunks") == 0)
            #expect(try await agent.count("SELECT COUNT(*) FROM file_chunks_fts WHERE file_chunks_fts MATCH 'leave'") == 0)
            #expect(!FileManager.default.fileExists(atPath: agent.services.knowledge.path(of: id)))
        }
    }

    @Test func refusedUploadsSayWhy() async throws {
        let agent = try await TestAgent(environment: ["RAG_FILE_MAX_SIZE": "1", "RAG_USER_QUOTA": "2"])
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let big = try await client.upload("big.txt", Data(repeating: 0x61, count: (1 << 20) + 10), token: tokens.user)
            #expect(big.status == .contentTooLarge)
            #expect(big.detail.contains("1 MiB limit"))
            let image = try await client.upload("photo.txt", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2]), token: tokens.user)
            #expect(image.status == .unsupportedMediaType)
            #expect(image.detail.contains("PNG image"))
            var encrypted = Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
            encrypted.append(Data(repeating: 0, count: 100))
            let locked = try await client.upload("locked.docx", encrypted, token: tokens.user)
            #expect(locked.status == .unprocessableContent)
            #expect(locked.detail.contains("password"))
            // Damage found while reading: the file shows as failed, with the reason.
            let broken = try await client.upload("broken.json", text: #"{"a": [1, 2"#, token: tokens.user)
            #expect(broken.status == .ok)
            await agent.indexed()
            let state = try await client.get("/api/v1/files/\(broken.json["id"] as? String ?? "")", token: tokens.user).json
            #expect(state["status"] as? String == "failed")
            #expect(state["error_code"] as? String == "corrupt")
            #expect((state["error"] as? String)?.contains("JSON") == true)
            // The quota counts what is stored.
            for index in 0..<3 {
                let part = try await client.upload("part\(index).txt", Data(repeating: 0x62, count: 1_000_000), token: tokens.user)
                if index < 2 { #expect(part.status == .ok) } else {
                    #expect(part.status == .contentTooLarge)
                    #expect(part.detail.contains("quota"))
                }
            }
            #expect(try await agent.count("SELECT COUNT(*) FROM files") == 3)
        }
    }

    /// Each employee's files together make at most RAG_USER_MAX_PASSAGES passages: the file that
    /// would go over fails with the reason; another employee is not affected; deleting frees room.
    @Test func passagesPerEmployeeAreBounded() async throws {
        let agent = try await TestAgent(environment: ["RAG_USER_MAX_PASSAGES": "5", "RAG_CHUNK_SIZE": "100", "RAG_CHUNK_OVERLAP": "0"])
        // Three paragraphs of about 90 characters: three passages of at most 100.
        let text = (1...3).map { "Paragraph \($0) " + String(repeating: "word ", count: 16) }.joined(separator: "\n\n")
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            func state(_ response: TestResponse, _ token: String) async throws -> [String: Any] {
                await agent.indexed()
                return try await client.get("/api/v1/files/\(response.json["id"] as? String ?? "")", token: token).json
            }
            let first = try await client.upload("first.txt", text: text, token: tokens.user)
            let firstState = try await state(first, tokens.user)
            #expect(firstState["status"] as? String == "ready" && firstState["chunk_count"] as? Int == 3, "\(firstState)")
            let second = try await client.upload("second.txt", text: text, token: tokens.user)
            let refused = try await state(second, tokens.user)
            #expect(refused["status"] as? String == "failed" && refused["error_code"] as? String == "too_big", "\(refused)")
            #expect((refused["error"] as? String)?.contains("already make 3 passages and this file would add 3; each person may have 5") == true, "\(refused)")
            // Someone else's budget is their own.
            let theirs = try await state(try await client.upload("theirs.txt", text: text, token: tokens.admin), tokens.admin)
            #expect(theirs["status"] as? String == "ready", "\(theirs)")
            // Deleting the first file makes room for the next one.
            #expect(try await client.delete("/api/v1/files/\(first.json["id"] as? String ?? "")", token: tokens.user).status == .ok)
            let third = try await state(try await client.upload("third.txt", text: text, token: tokens.user), tokens.user)
            #expect(third["status"] as? String == "ready", "\(third)")
            #expect(try await agent.count("SELECT COALESCE(SUM(chunk_count), 0) FROM files WHERE status = 'ready'") == 6)
            // The admin sees the limit and where it comes from, and can change it.
            let config = try await client.get("/api/v1/retrieval/config", token: tokens.admin).json
            #expect((config["values"] as? [String: Any])?["RAG_USER_MAX_PASSAGES"] as? String == "5", "\(config)")
            #expect((config["sources"] as? [String: Any])?["RAG_USER_MAX_PASSAGES"] as? String == "environment", "\(config)")
            #expect(try await client.post("/api/v1/retrieval/config/update", ["RAG_USER_MAX_PASSAGES": "0"], token: tokens.admin).status == .unprocessableContent)
        }
    }

    @Test func resumableUploadContinuesFromWhatTheServerHas() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let text = Data((Self.handbook + String(repeating: "\nMore lines of the handbook.", count: 200)).utf8)
            let started = try await client.post("/api/v1/files/uploads", ["filename": "handbook.md", "size": text.count], token: tokens.user)
            #expect(started.status == .ok, "\(started.detail)")
            let id = try #require(started.json["id"] as? String)
            #expect(started.json["status"] as? String == "uploading")
            let first = try await client.put("/api/v1/files/uploads/\(id)?offset=0", text.prefix(1000), token: tokens.user)
            #expect(first.json["received"] as? Int == 1000)
            // A retry from the wrong offset is refused with the offset to use.
            let wrong = try await client.put("/api/v1/files/uploads/\(id)?offset=0", text.prefix(1000), token: tokens.user)
            #expect(wrong.status == .conflict)
            #expect(wrong.detail.contains("offset 1000"))
            let shown = try await client.get("/api/v1/files/\(id)", token: tokens.user).json
            #expect(shown["received"] as? Int == 1000)
            let rest = try await client.put("/api/v1/files/uploads/\(id)?offset=1000", text.dropFirst(1000), token: tokens.user)
            #expect(rest.status == .ok, "\(rest.detail)")
            #expect(rest.json["status"] as? String == "queued")
            await agent.indexed()
            let found = try await client.query("visitor wifi password", [("file", id)], token: tokens.user)
            #expect((found.first?["text"] as? String)?.contains("BW-Guest") == true)
            // Too much data for the announced size is refused.
            let small = try await client.post("/api/v1/files/uploads", ["filename": "a.txt", "size": 10], token: tokens.user)
            let over = try await client.put("/api/v1/files/uploads/\(small.json["id"] as? String ?? "")?offset=0", Data(repeating: 0x61, count: 11), token: tokens.user)
            #expect(over.status == .contentTooLarge)
        }
    }

    /// Retrieval never returns a passage of a file the employee may not see, whatever ids they send.
    @Test func retrievalRespectsAccess() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()  // admin owns the secret
            let secret = try await client.upload("deal.txt", text: Self.secret, token: tokens.admin)
            let secretID = try #require(secret.json["id"] as? String)
            let own = try await client.upload("handbook.md", text: Self.handbook, token: tokens.user)
            let ownID = try #require(own.json["id"] as? String)
            await agent.indexed()
            let question = "What is the price of the Kowalski Logistics acquisition?"
            #expect(try await client.query(question, [("file", secretID)], token: tokens.admin).count == 1)
            // Someone else's file id: nothing, not even mixed with their own.
            #expect(try await client.query(question, [("file", secretID)], token: tokens.user).isEmpty)
            let mixed = try await client.query(question + " leave", [("file", secretID), ("file", ownID)], token: tokens.user)
            #expect(mixed.allSatisfy { $0["file_id"] as? String == ownID })
            #expect(try await client.get("/api/v1/files/\(secretID)", token: tokens.user).status == .notFound)
            // A private collection holding it does not help either.
            let collection = try await client.post("/api/v1/knowledge/create", ["name": "Board"], token: tokens.admin)
            let collectionID = try #require(collection.json["id"] as? String)
            #expect(try await client.post("/api/v1/knowledge/\(collectionID)/file/add", ["file_id": secretID], token: tokens.admin).status == .ok)
            #expect(try await client.query(question, [("collection", collectionID)], token: tokens.user).isEmpty)
            #expect(try await client.get("/api/v1/knowledge/\(collectionID)", token: tokens.user).status == .notFound)
            // Nor can the user add someone else's file to their own collection.
            let mine = try await client.post("/api/v1/knowledge/create", ["name": "Mine"], token: tokens.user)
            let add = try await client.post("/api/v1/knowledge/\(mine.json["id"] as? String ?? "")/file/add", ["file_id": secretID], token: tokens.user)
            #expect(add.status == .notFound)
            // Passage ids cannot be guessed into view.
            let passageID = try await agent.count("SELECT MIN(id) FROM file_chunks WHERE file_id = '\(secretID)'")
            #expect(try await client.get("/api/v1/knowledge/passages/\(passageID)", token: tokens.user).status == .notFound)
            #expect(try await client.get("/api/v1/knowledge/passages/\(passageID)", token: tokens.admin).status == .ok)
        }
    }

    /// Someone a collection was shared with cannot pass its file on: not into their own collection,
    /// not to everyone, and taken off the collection, they lose every path to it — also one made
    /// before this rule (a file in someone else's collection gives nobody access).
    @Test func aSharedFileCannotBePassedOnAndAccessEndsWithTheShare() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let user = try await client.get("/api/v1/auths/", token: tokens.user).json["id"] as? String ?? ""
            let file = try await client.upload("deal.txt", text: Self.secret, token: tokens.admin)
            let fileID = try #require(file.json["id"] as? String)
            let owners = try #require(try await client.post("/api/v1/knowledge/create", ["name": "Deals"], token: tokens.admin).json["id"] as? String)
            _ = try await client.post("/api/v1/knowledge/\(owners)/file/add", ["file_id": fileID], token: tokens.admin)
            _ = try await client.post("/api/v1/knowledge/\(owners)/update", ["user_ids": [user]], token: tokens.admin)
            await agent.indexed()
            let question = "acquisition price"
            #expect(try await client.query(question, [("file", fileID)], token: tokens.user).count == 1, "shared: the employee finds it")

            // The employee tries to keep it: into their own collection, shared with everyone.
            let theirs = try #require(try await client.post("/api/v1/knowledge/create", ["name": "Mine"], token: tokens.user).json["id"] as? String)
            let add = try await client.post("/api/v1/knowledge/\(theirs)/file/add", ["file_id": fileID], token: tokens.user)
            #expect(add.status == .forbidden && add.detail.contains("Only the person who uploaded"), "\(add.status) \(add.detail)")
            // As if it had got in before the rule: a row put there directly.
            try await agent.services.database.pool.write { db in
                try db.execute(sql: "INSERT INTO knowledge_files (knowledge_id, file_id) VALUES (?, ?)", arguments: [theirs, fileID])
                try db.execute(sql: "UPDATE knowledge SET everyone = 1 WHERE id = ?", arguments: [theirs])
            }
            let pending = try await client.post("/api/v1/auths/add", ["name": "Third", "email": "third@example.com", "password": "correct horse", "role": "user"], token: tokens.admin)
            #expect(pending.status == .ok)
            let third = try await client.signIn("third@example.com").json["token"] as? String ?? ""
            #expect(try await client.query(question, [("collection", theirs)], token: third).isEmpty, "a non-owner's collection shares nothing of others'")

            // The owner takes the employee off: every path is gone.
            _ = try await client.post("/api/v1/knowledge/\(owners)/update", ["user_ids": [String]()], token: tokens.admin)
            #expect(try await client.query(question, [("file", fileID)], token: tokens.user).isEmpty)
            #expect(try await client.query(question, [("collection", theirs)], token: tokens.user).isEmpty)
            #expect(try await client.get("/api/v1/files/\(fileID)", token: tokens.user).status == .notFound)
        }
    }

    @Test func sharingWithPeopleOrEveryone() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let user = try await client.get("/api/v1/auths/", token: tokens.user).json["id"] as? String ?? ""
            let third = try await client.post("/api/v1/auths/add", ["name": "Third", "email": "third@example.com", "password": "correct horse", "role": "user"], token: tokens.admin)
            #expect(third.status == .ok)
            let thirdToken = try await client.signIn("third@example.com").json["token"] as? String ?? ""
            let file = try await client.upload("deal.txt", text: Self.secret, token: tokens.admin)
            let fileID = try #require(file.json["id"] as? String)
            let collection = try await client.post("/api/v1/knowledge/create", ["name": "Deals"], token: tokens.admin)
            let id = try #require(collection.json["id"] as? String)
            _ = try await client.post("/api/v1/knowledge/\(id)/file/add", ["file_id": fileID], token: tokens.admin)
            await agent.indexed()
            let question = "acquisition price"
            // Shared with one chosen employee.
            let shared = try await client.post("/api/v1/knowledge/\(id)/update", ["user_ids": [user]], token: tokens.admin)
            #expect(shared.status == .ok, "\(shared.detail)")
            #expect(try await client.query(question, [("collection", id)], token: tokens.user).count == 1)
            #expect(try await client.query(question, [("file", fileID)], token: tokens.user).count == 1)
            #expect(try await client.query(question, [("collection", id)], token: thirdToken).isEmpty)
            #expect(try await client.get("/api/v1/knowledge/", token: tokens.user).jsonArray.count == 1)
            #expect(try await client.get("/api/v1/knowledge/", token: thirdToken).jsonArray.isEmpty)
            // Only the owner may change it.
            #expect(try await client.post("/api/v1/knowledge/\(id)/update", ["everyone": true], token: tokens.user).status == .forbidden)
            // Everyone.
            _ = try await client.post("/api/v1/knowledge/\(id)/update", ["everyone": true, "user_ids": []], token: tokens.admin)
            #expect(try await client.query(question, [("collection", id)], token: thirdToken).count == 1)
            // Unshared again: gone at once.
            _ = try await client.post("/api/v1/knowledge/\(id)/update", ["everyone": false], token: tokens.admin)
            #expect(try await client.query(question, [("collection", id)], token: thirdToken).isEmpty)
            #expect(try await client.query(question, [("collection", id)], token: tokens.user).isEmpty)
            let unknown = try await client.post("/api/v1/knowledge/\(id)/update", ["user_ids": ["nobody"]], token: tokens.admin)
            #expect(unknown.status == .unprocessableContent)
        }
    }

    @Test func deletingACollectionRemovesItsPassagesAndVectors() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent.embedding(harness)
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let collection = try await client.post("/api/v1/knowledge/create", ["name": "HR"], token: tokens.user)
            let id = try #require(collection.json["id"] as? String)
            let kept = try await client.upload("kept.md", text: "Kept file about parking spaces.", token: tokens.user)
            for (name, text) in [("handbook.md", Self.handbook), ("deal.txt", Self.secret)] {
                let file = try await client.upload(name, text: text, token: tokens.user)
                _ = try await client.post("/api/v1/knowledge/\(id)/file/add", ["file_id": file.json["id"] as? String ?? ""], token: tokens.user)
            }
            await agent.indexed()
            #expect(try await agent.count("SELECT COUNT(*) FROM file_chunks") == 3)
            #expect(try await agent.count("SELECT COUNT(*) FROM chunk_vectors WHERE model = 'openai/text-embedding-3-small'") == 3)
            #expect(try await client.delete("/api/v1/knowledge/\(id)/delete", token: tokens.user).status == .ok)
            #expect(try await agent.count("SELECT COUNT(*) FROM file_chunks") == 1)
            #expect(try await agent.count("SELECT COUNT(*) FROM chunk_vectors") == 1)
            #expect(try await agent.count("SELECT COUNT(*) FROM files") == 1)
            #expect(try await client.get("/api/v1/files/\(kept.json["id"] as? String ?? "")", token: tokens.user).status == .ok)
            #expect(try await client.get("/api/v1/knowledge/\(id)", token: tokens.user).status == .notFound)
        }
    }

    @Test func embeddingsMakeRetrievalHybridAndFollowAModelChange() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent.embedding(harness)
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let file = try await client.upload("handbook.md", text: Self.handbook + "\n\n" + Self.secret, token: tokens.user)
            let id = try #require(file.json["id"] as? String)
            await agent.indexed()
            let passages = try await agent.count("SELECT COUNT(*) FROM file_chunks")
            #expect(try await agent.count("SELECT COUNT(*) FROM chunk_vectors WHERE model = 'openai/text-embedding-3-small' AND length(vector) = 384 * 4") == passages)
            let hybrid = try await client.query("annual leave days", [("file", id)], token: tokens.user, mode: "hybrid")
            #expect(hybrid.count == 1)
            // Cosine relevance of the hashed embedding: between 0 and 1, not the BM25 mapping.
            #expect((hybrid.first?["relevance"] as? Double ?? 0) > 0)
            // The admin switches the model: every passage is embedded again with the new one.
            let changed = try await client.post("/api/v1/retrieval/config/update", ["RAG_EMBEDDING_MODEL": "openai/text-embedding-3-large"], token: tokens.admin)
            #expect(changed.status == .ok, "\(changed.detail)")
            #expect((changed.json["sources"] as? [String: String])?["RAG_EMBEDDING_MODEL"] == "database")
            await agent.indexed()
            #expect(try await agent.count("SELECT COUNT(*) FROM chunk_vectors WHERE model = 'openai/text-embedding-3-large'") == passages)
            // A smaller chunk size cuts the file again into more, smaller passages, all embedded.
            let resized = try await client.post("/api/v1/retrieval/config/update", ["RAG_CHUNK_SIZE": "100", "RAG_CHUNK_OVERLAP": "0"], token: tokens.admin)
            #expect(resized.status == .ok, "\(resized.detail)")
            await agent.indexed()
            let smaller = try await agent.count("SELECT COUNT(*) FROM file_chunks")
            #expect(smaller > passages)
            #expect(try await agent.count("SELECT MAX(length(text)) FROM file_chunks") <= 100)
            #expect(try await agent.count("SELECT COUNT(*) FROM chunk_vectors WHERE model = 'openai/text-embedding-3-large'") == smaller)
            #expect(try await client.get("/api/v1/files/\(id)", token: tokens.user).json["status"] as? String == "ready")
            #expect(try await client.post("/api/v1/retrieval/config/update", ["RAG_TOP_K": "0"], token: tokens.admin).status == .unprocessableContent)
            #expect(try await client.post("/api/v1/retrieval/config/update", ["RAG_TOP_K": "5"], token: tokens.user).status == .forbidden)
        }
    }

    @Test func answersCiteTheRetrievedPassages() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.testLive { client in
            let tokens = try await client.seedAccounts()
            let file = try await client.upload("handbook.md", text: Self.handbook, token: tokens.user)
            let fileID = try #require(file.json["id"] as? String)
            let secret = try await client.upload("deal.txt", text: Self.secret, token: tokens.admin)
            await agent.indexed()
            let chat = try await client.post("/api/v1/chats/new", ["chat": ["title": "Leave"]], token: tokens.user)
            let chatID = try #require(chat.json["id"] as? String)
            let question = "How many days of annual leave do I get?"
            let response = try await client.post("/api/chat/completions", [
                "model": "openai/gpt-4o-mini", "chat_id": chatID, "stream": true,
                "messages": [["role": "user", "content": question]],
                "files": [["type": "file", "id": fileID], ["type": "file", "id": secret.json["id"] as? String ?? ""]],
            ], token: tokens.user)
            #expect(response.status == .ok)
            let events = CompletionsTests.sseData(response.body)
            let first = try #require(events.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
            let sources = try #require(first["sources"] as? [[String: Any]])
            #expect(sources.count == 1)  // the admin's file is not the user's to see
            #expect(sources.first?["index"] as? Int == 1)
            #expect(sources.first?["filename"] as? String == "handbook.md")
            #expect((sources.first?["text"] as? String)?.contains("28 days") == true)
            #expect(!CompletionsTests.streamedText(response.body).isEmpty)
            // The passage went to the model: the prompt is bigger by at least the passage.
            let served = try #require(harness.openRouter.generations.last)
            #expect(served.promptTokens >= SimTokenizer.count(question) + SimTokenizer.count(sources.first?["text"] as? String ?? ""))
            // Saved with the answer, and the passage opens for the citation.
            let messageID = try #require(response.headers[.messageID])
            let saved = try await client.get("/api/v1/knowledge/sources/\(chatID)", token: tokens.user).json
            let savedSources = try #require(saved[messageID] as? [[String: Any]])
            #expect(savedSources.first?["passage_id"] as? Int == sources.first?["passage_id"] as? Int)
            let passage = try await client.get("/api/v1/knowledge/passages/\(sources.first?["passage_id"] as? Int ?? 0)", token: tokens.user)
            #expect((passage.json["text"] as? String)?.contains("28 days") == true)
            // Without files, no sources event.
            let plain = try await client.post("/api/chat/completions", ["model": "openai/gpt-4o-mini", "chat_id": chatID, "stream": true,
                                                                        "parent_id": messageID, "messages": [["role": "user", "content": question]]], token: tokens.user)
            #expect(!String(buffer: plain.body).contains("\"sources\""))
        }
    }

    @Test func contextBudgetFollowsTheModelWindow() {
        let passage = RetrievedPassage(passage: PassageRow(row: ["id": 1, "file_id": "f", "filename": "a.txt", "ordinal": 0, "unit": nil, "number": nil, "label": nil,
                                                                  "text": String(repeating: "word ", count: 400)]), relevance: 1, score: 1)
        // 2,000-character passages; a 2,048-token model has 8,192 characters, half of it for sources.
        #expect(KnowledgeContext.budget(contextLength: 2048, conversationCharacters: 0) == 4096)
        #expect(KnowledgeContext.fit([passage, passage, passage], budget: 4096).count == 2)
        // A long conversation leaves less room; a tiny window still gets a shortened first passage.
        #expect(KnowledgeContext.budget(contextLength: 2048, conversationCharacters: 3000) == 1096)
        let shortened = KnowledgeContext.fit([passage, passage], budget: 1096)
        #expect(shortened.count == 1)
        #expect(shortened[0].text.count < 1096)
        #expect(KnowledgeContext.budget(contextLength: 1024, conversationCharacters: 0) == 0)
        #expect(KnowledgeContext.fit([passage], budget: 0).isEmpty)
    }
}

extension TestAgent {
    /// An agent that embeds passages with the simulator's embedding model (hybrid retrieval).
    static func embedding(_ harness: SimulatorHarness) async throws -> TestAgent {
        var environment = harness.environment()
        environment["RAG_EMBEDDING_MODEL"] = "openai/text-embedding-3-small"
        return try await TestAgent(environment: environment)
    }
}
