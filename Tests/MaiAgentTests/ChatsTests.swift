import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MaiAgent

/// `/api/v1/chats/…` through the router on a real database: Open WebUI's shapes, branches,
/// search, export/import, and above all that nobody reaches someone else's chats.
@Suite("Chats")
struct ChatsTests {
    static let missingID = "00000000-0000-0000-0000-000000000000"

    /// An Open WebUI message.
    static func message(_ id: String, parent: String?, role: String = "user", _ content: String, at time: Int64) -> [String: Any] {
        ["id": id, "parentId": (parent as Any?) ?? NSNull(), "childrenIds": [], "role": role, "content": content, "timestamp": time]
    }

    /// `{"chat": {...}}` with a history built from `messages`.
    static func chat(title: String? = nil, _ messages: [[String: Any]], current: String?) -> [String: Any] {
        var history: [String: Any] = ["messages": Dictionary(uniqueKeysWithValues: messages.map { ($0["id"] as! String, $0) })]
        history["currentId"] = (current as Any?) ?? NSNull()
        var chat: [String: Any] = ["history": history, "models": ["openai/gpt-4o"]]
        if let title { chat["title"] = title }
        return ["chat": chat]
    }

    static var breadChat: [String: Any] { chat([
        message("u1", parent: nil, "**How** do I bake   bread?\nI have flour.", at: 1_790_000_000),
        message("a1", parent: "u1", role: "assistant", "Knead the dough.", at: 1_790_000_001),
    ], current: "a1") }

    /// Admin, an approved user ("A"), a second approved user ("B") and a pending account.
    static func accounts(_ client: any TestClientProtocol) async throws -> (a: String, b: String, admin: String, pending: String) {
        let tokens = try await client.seedAccounts()
        let added = try await client.post("/api/v1/auths/add", ["name": "B", "email": "second@example.com", "password": "correct horse", "role": "user"], token: tokens.admin)
        #expect(added.status == .ok)
        let second = try await client.signIn("second@example.com", address: "10.0.0.2").json["token"] as? String ?? ""
        return (tokens.user, second, tokens.admin, tokens.pending)
    }

    static func create(_ client: any TestClientProtocol, _ body: [String: Any], token: String) async throws -> [String: Any] {
        let response = try await client.post("/api/v1/chats/new", body, token: token)
        #expect(response.status == .ok, "create: \(response.status) \(response.detail)")
        return response.json
    }

    static func ids(_ list: TestResponse) -> [String] { list.chatItems.compactMap { $0["id"] as? String } }

    // MARK: Basics

    @Test("create, get, list newest first, rename, delete and delete all")
    func lifecycle() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let first = try await Self.create(client, Self.breadChat, token: a)
            let id = try #require(first["id"] as? String)
            #expect(id == id.lowercased() && UUID(uuidString: id) != nil)
            #expect(first["title"] as? String == "How do I bake bread?")
            #expect(first["archived"] as? Bool == false && first["pinned"] as? Bool == false)
            #expect(first["share_id"] is NSNull && first["folder_id"] is NSNull && (first["meta"] as? [String: Any])?.isEmpty == true)
            #expect(first["created_at"] as? Int == 1_790_000_000)

            let got = try await client.get("/api/v1/chats/\(id)", token: a)
            #expect(got.status == .ok)
            let chat = try #require(got.json["chat"] as? [String: Any])
            #expect(chat["models"] as? [String] == ["openai/gpt-4o"])
            let history = try #require(chat["history"] as? [String: Any])
            #expect(history["currentId"] as? String == "a1")
            let messages = try #require(history["messages"] as? [String: [String: Any]])
            #expect(messages["u1"]?["parentId"] is NSNull)
            #expect(messages["u1"]?["childrenIds"] as? [String] == ["a1"])
            #expect(messages["a1"]?["parentId"] as? String == "u1")
            #expect(messages["a1"]?["done"] as? Bool == true)
            #expect(messages["a1"]?["status"] as? String == "complete")
            #expect(messages["a1"]?["timestamp"] as? Int == 1_790_000_001)
            #expect(messages["a1"]?["model"] is NSNull)
            #expect((chat["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == ["u1", "a1"])

            agent.clock.advance(seconds: 10)
            let second = try await Self.create(client, ["chat": ["title": "Second"]], token: a)
            let secondID = try #require(second["id"] as? String)
            #expect((second["chat"] as? [String: Any])?["messages"] as? [Any] != nil)
            #expect(Self.ids(try await client.get("/api/v1/chats/list?page=1", token: a)) == [secondID, id])

            agent.clock.advance(seconds: 10)
            let renamed = try await client.post("/api/v1/chats/\(id)", ["chat": ["title": "Bread"]], token: a)
            #expect(renamed.status == .ok, "\(renamed.detail)")
            #expect(renamed.json["title"] as? String == "Bread")
            let list = try await client.get("/api/v1/chats/", token: a)
            #expect(Self.ids(list) == [id, secondID])
            #expect(Set(list.chatItems.first?.keys.map { $0 } ?? []) == ["id", "title", "updated_at", "created_at", "pinned"])
            #expect(list.chatItems.first?["updated_at"] as? Int == 1_790_000_020)
            #expect(try await client.get("/api/v1/chats/list?page=2", token: a).chatItems.isEmpty)
            #expect(try await client.get("/api/v1/chats/list?page=0", token: a).status == .badRequest)

            let deleted = try await client.chatsDelete("/api/v1/chats/\(id)", token: a)
            #expect(deleted.status == .ok && deleted.jsonValue as? Bool == true)
            let gone = try await client.get("/api/v1/chats/\(id)", token: a)
            #expect(gone.status == .notFound && !gone.detail.isEmpty)
            #expect(try await client.chatsDelete("/api/v1/chats/\(id)", token: a).status == .notFound)

            let all = try await client.chatsDelete("/api/v1/chats/", token: a)
            #expect(all.status == .ok && all.jsonValue as? Bool == true)
            #expect(try await client.get("/api/v1/chats/", token: a).chatItems.isEmpty)
        }
    }

    @Test("a chat without messages is a New chat; its first question names it later")
    func placeholderTitle() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let empty = try await Self.create(client, ["chat": ["title": "New Chat", "history": ["messages": [String: Any](), "currentId": NSNull()]]], token: a)
            #expect(empty["title"] as? String == "New chat")
            let id = try #require(empty["id"] as? String)
            let update = Self.chat(title: "New Chat", [Self.message("q", parent: nil, "## Tax rules for 2025", at: 1_790_000_005)], current: "q")
            let updated = try await client.post("/api/v1/chats/\(id)", update, token: a)
            #expect(updated.json["title"] as? String == "Tax rules for 2025")
        }
    }

    @Test("pin and archive toggle, and the lists follow")
    func pinAndArchive() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let one = try #require(try await Self.create(client, ["chat": ["title": "Zebra notes"]], token: a)["id"] as? String)
            let two = try #require(try await Self.create(client, ["chat": ["title": "Other"]], token: a)["id"] as? String)

            let pinned = try await client.post("/api/v1/chats/\(one)/pin", [:], token: a)
            #expect(pinned.status == .ok && pinned.json["pinned"] as? Bool == true)
            #expect(Self.ids(try await client.get("/api/v1/chats/pinned", token: a)) == [one])
            #expect(try await client.get("/api/v1/chats/", token: a).chatItems.first { $0["id"] as? String == one }?["pinned"] as? Bool == true)
            #expect(try await client.post("/api/v1/chats/\(one)/pin", [:], token: a).json["pinned"] as? Bool == false)
            #expect(try await client.get("/api/v1/chats/pinned", token: a).chatItems.isEmpty)

            _ = try await client.post("/api/v1/chats/\(one)/pin", [:], token: a)
            let archived = try await client.post("/api/v1/chats/\(one)/archive", [:], token: a)
            #expect(archived.status == .ok && archived.json["archived"] as? Bool == true)
            #expect(Self.ids(try await client.get("/api/v1/chats/list", token: a)) == [two])
            #expect(Self.ids(try await client.get("/api/v1/chats/archived?page=1", token: a)) == [one])
            #expect(try await client.get("/api/v1/chats/pinned", token: a).chatItems.isEmpty)
            #expect(try await client.get("/api/v1/chats/search?text=zebra", token: a).chatItems.isEmpty)
            #expect(try await client.get("/api/v1/chats/\(one)", token: a).status == .ok)

            #expect(try await client.post("/api/v1/chats/\(one)/archive", [:], token: a).json["archived"] as? Bool == false)
            #expect(Set(Self.ids(try await client.get("/api/v1/chats/list", token: a))) == [one, two])
            #expect(try await client.get("/api/v1/chats/archived", token: a).chatItems.isEmpty)
            #expect(Self.ids(try await client.get("/api/v1/chats/pinned", token: a)) == [one])
            #expect(try await client.post("/api/v1/chats/\(Self.missingID)/pin", [:], token: a).status == .notFound)
        }
    }

    // MARK: Branches

    @Test("currentId switches branch and messages follows it; existing messages are not rewritten")
    func branches() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let id = try #require(try await Self.create(client, Self.breadChat, token: a)["id"] as? String)

            // Regenerate: a second answer to u1, then a follow-up on it.
            let regenerated = Self.chat([
                Self.message("u1", parent: nil, "EDITED IN PLACE", at: 1_790_000_000),
                Self.message("a2", parent: "u1", role: "assistant", "Use a starter.", at: 1_790_000_010),
                Self.message("u2", parent: "a2", "How long?", at: 1_790_000_020),
            ], current: "u2")
            let response = try await client.post("/api/v1/chats/\(id)", regenerated, token: a)
            #expect(response.status == .ok, "\(response.detail)")
            let chat = try #require(response.json["chat"] as? [String: Any])
            let messages = try #require((chat["history"] as? [String: Any])?["messages"] as? [String: [String: Any]])
            #expect(messages["u1"]?["childrenIds"] as? [String] == ["a1", "a2"])
            #expect(messages["u1"]?["content"] as? String == "**How** do I bake   bread?\nI have flour.")
            #expect((chat["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == ["u1", "a2", "u2"])

            // Back to the first answer, without new messages.
            let back = try await client.post("/api/v1/chats/\(id)", ["chat": ["history": ["messages": [String: Any](), "currentId": "a1"]]], token: a)
            #expect(back.status == .ok)
            let reread = try await client.get("/api/v1/chats/\(id)", token: a).json["chat"] as? [String: Any]
            #expect((reread?["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == ["u1", "a1"])
            #expect((reread?["history"] as? [String: Any])?["currentId"] as? String == "a1")

            // currentId alone (no messages key) switches too.
            let alone = try await client.post("/api/v1/chats/\(id)", ["chat": ["history": ["currentId": "u2"]]], token: a)
            #expect(alone.status == .ok)
            #expect(((alone.json["chat"] as? [String: Any])?["messages"] as? [[String: Any]])?.map { $0["id"] as? String } == ["u1", "a2", "u2"])

            let unknown = try await client.post("/api/v1/chats/\(id)", ["chat": ["history": ["messages": [String: Any](), "currentId": "nope"]]], token: a)
            #expect(unknown.status == .badRequest && unknown.detail.contains("currentId"))
            let orphan = try await client.post("/api/v1/chats/\(id)", Self.chat([Self.message("x", parent: "ghost", "hi", at: 1)], current: "x"), token: a)
            #expect(orphan.status == .badRequest && orphan.detail.contains("ghost"))
        }
    }

    @Test("the relay's append and updateMessage keep the chat current")
    func appendAndStream() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, b, _, _) = try await Self.accounts(client)
            let created = try await Self.create(client, Self.breadChat, token: a)
            let id = try #require(created["id"] as? String)
            let owner = try #require(created["user_id"] as? String)
            let repository = agent.services.chats
            let now = agent.services.clock.seconds + 100
            let answer = ChatMessageRecord(id: "a9", chatID: id, parentID: "u1", role: .assistant, content: "", model: "m",
                                           status: .streaming, error: nil, createdAt: now, updatedAt: now)
            try await repository.append(answer, userID: owner)
            var got = try await client.get("/api/v1/chats/\(id)", token: a).json
            #expect(got["updated_at"] as? Int == Int(now))
            var history = (got["chat"] as? [String: Any])?["history"] as? [String: Any]
            #expect(history?["currentId"] as? String == "a9")
            #expect((history?["messages"] as? [String: [String: Any]])?["a9"]?["done"] as? Bool == false)

            try await repository.updateMessage(id: "a9", chatID: id, content: "Partial", status: .interrupted, error: "upstream closed", now: now + 5)
            got = try await client.get("/api/v1/chats/\(id)", token: a).json
            #expect(got["updated_at"] as? Int == Int(now + 5))
            history = (got["chat"] as? [String: Any])?["history"] as? [String: Any]
            let streamed = (history?["messages"] as? [String: [String: Any]])?["a9"]
            #expect(streamed?["content"] as? String == "Partial" && streamed?["status"] as? String == "interrupted")
            #expect(streamed?["error"] as? String == "upstream closed" && streamed?["done"] as? Bool == true)

            var stray = answer
            stray.id = "a10"
            stray.parentID = "not-here"
            await #expect(throws: ChatError.self) { try await repository.append(stray, userID: owner) }
            stray.parentID = "u1"
            let bUser = try await client.get("/api/v1/auths/", token: b).json["id"] as? String ?? ""
            await #expect(throws: ChatError.notFound) { try await repository.append(stray, userID: bUser) }
            await #expect(throws: ChatError.notFound) {
                try await repository.updateMessage(id: "a9", chatID: "other", content: "x", status: .complete, error: nil, now: now)
            }
        }
    }

    // MARK: Export and import

    @Test("an export re-imports to an equal tree and branch, with new ids")
    func exportImportRoundTrip() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let id = try #require(try await Self.create(client, Self.breadChat, token: a)["id"] as? String)
            _ = try await client.post("/api/v1/chats/\(id)", Self.chat([
                Self.message("a2", parent: "u1", role: "assistant", "Use a starter.", at: 1_790_000_010),
            ], current: "a1"), token: a)
            _ = try await client.post("/api/v1/chats/\(id)/pin", [:], token: a)

            let export = try await client.get("/api/v1/chats/all", token: a)
            #expect(export.status == .ok)
            let chats = try #require(export.jsonValue as? [[String: Any]])
            #expect(chats.count == 1)
            let original = chats[0]
            let imported = try await client.post("/api/v1/chats/import", ["chat": original["chat"]!, "pinned": original["pinned"]!, "archived": original["archived"]!], token: a)
            #expect(imported.status == .ok, "\(imported.detail)")
            let copy = imported.json
            #expect(copy["id"] as? String != id)
            #expect(copy["title"] as? String == original["title"] as? String)
            #expect(copy["pinned"] as? Bool == true)
            let copyMessages = ((copy["chat"] as? [String: Any])?["history"] as? [String: Any])?["messages"] as? [String: Any] ?? [:]
            let copyIDs = Set(copyMessages.keys)
            #expect(copyIDs.isDisjoint(with: ["u1", "a1", "a2"]) && copyIDs.count == 3)
            #expect(Self.shape(copy) == Self.shape(original))
            #expect(Self.branch(copy) == Self.branch(original) && Self.branch(copy) == ["**How** do I bake   bread?\nI have flour.", "Knead the dough."])
            #expect((try await client.get("/api/v1/chats/all", token: a).jsonValue as? [Any])?.count == 2)
        }
    }

    /// The tree without ids: each message as the contents from its root, with role and time.
    static func shape(_ response: [String: Any]) -> Set<String> {
        let history = (response["chat"] as? [String: Any])?["history"] as? [String: Any]
        let messages = history?["messages"] as? [String: [String: Any]] ?? [:]
        func path(_ id: String?) -> String {
            guard let id, let message = messages[id] else { return "" }
            return path(message["parentId"] as? String) + "/" + (message["content"] as? String ?? "")
        }
        return Set(messages.map { id, message in
            "\(path(id))|\(message["role"] ?? "")|\(message["timestamp"] ?? "")|\(message["status"] ?? "")|\((message["childrenIds"] as? [String])?.count ?? -1)"
        })
    }

    static func branch(_ response: [String: Any]) -> [String] {
        ((response["chat"] as? [String: Any])?["messages"] as? [[String: Any]])?.compactMap { $0["content"] as? String } ?? []
    }

    // MARK: Search

    @Test("search finds words in titles and in messages, by prefix, all words anywhere in the chat")
    func search() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let bread = try #require(try await Self.create(client, Self.breadChat, token: a)["id"] as? String)
            let budget = try #require(try await Self.create(client, Self.chat(title: "Quarterly budget", [
                Self.message("q", parent: nil, "Is the café near the station?", at: 1_790_000_000),
            ], current: "q"), token: a)["id"] as? String)

            for (text, expected) in [("bread", [bread]), ("knead", [bread]), ("KNEA", [bread]), ("budg", [budget]),
                                     ("cafe", [budget]), ("budget station", [budget]), ("bread station", []),
                                     ("near", [budget]), ("flour bake", [bread])] {
                let found = try await client.get("/api/v1/chats/search?text=\(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", token: a)
                #expect(found.status == .ok, "\(text): \(found.detail)")
                #expect(Self.ids(found) == expected, "\(text)")
            }
        }
    }

    @Test("FTS syntax in the search text is only text", arguments: [
        "\"", "\"unbalanced", "*", "bread*", "NEAR", "NEAR(bread knead)", "title:bread", ":", "(", ")", "bread OR",
        "AND", "-bread", "^bread", "{a b}", "a + b", "bread\"knead", "'", "%", "café*\"(", "NOT", "\u{0}",
    ])
    func searchSyntax(_ text: String) async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            _ = try await Self.create(client, Self.breadChat, token: a)
            let query = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let found = try await client.get("/api/v1/chats/search?text=\(query)", token: a)
            #expect(found.status == .ok, "\(text): \(found.status) \(found.detail)")
            #expect(found.jsonValue is [Any])
        }
    }

    @Test("an empty or missing search text is a 400")
    func searchEmpty() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            for path in ["/api/v1/chats/search", "/api/v1/chats/search?text=", "/api/v1/chats/search?text=%20%20%09"] {
                let response = try await client.get(path, token: a)
                #expect(response.status == .badRequest && response.detail.contains("search for"), "\(path)")
            }
            let long = String(repeating: "a", count: 501)
            #expect(try await client.get("/api/v1/chats/search?text=\(long)", token: a).status == .badRequest)
        }
    }

    @Test("search terms are quoted, the last one a prefix")
    func matchTerms() {
        #expect(SQLiteChatRepository.matchTerms(for: "bread knead") == ["\"bread\"", "\"knead\"*"])
        #expect(SQLiteChatRepository.matchTerms(for: "say \"hi\" NEAR(x)") == ["\"say\"", "\"\"\"hi\"\"\"", "\"NEAR(x)\"*"])
        #expect(SQLiteChatRepository.matchTerms(for: " * ( : \" ").isEmpty)
        #expect(SQLiteChatRepository.matchTerms(for: String(repeating: "w ", count: 40)).count == 16)
    }

    // MARK: Ownership

    @Test("another user's chat is invisible: get, update, pin, archive, delete, export and search")
    func ownership() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, b, _, _) = try await Self.accounts(client)
            let chat = try await Self.create(client, Self.chat(title: "Secret merger plans", [
                Self.message("u1", parent: nil, "confidential aardvark", at: 1_790_000_000),
            ], current: "u1"), token: a)
            let id = try #require(chat["id"] as? String)

            let missing = try await client.get("/api/v1/chats/\(Self.missingID)", token: b)
            #expect(missing.status == .notFound)
            let attempts: [(String, () async throws -> TestResponse)] = [
                ("get", { try await client.get("/api/v1/chats/\(id)", token: b) }),
                ("update", { try await client.post("/api/v1/chats/\(id)", ["chat": ["title": "Mine now"]], token: b) }),
                ("append", { try await client.post("/api/v1/chats/\(id)", Self.chat([Self.message("x", parent: "u1", "hi", at: 1)], current: "x"), token: b) }),
                ("pin", { try await client.post("/api/v1/chats/\(id)/pin", [:], token: b) }),
                ("archive", { try await client.post("/api/v1/chats/\(id)/archive", [:], token: b) }),
                ("delete", { try await client.chatsDelete("/api/v1/chats/\(id)", token: b) }),
            ]
            for (name, attempt) in attempts {
                let response = try await attempt()
                #expect(response.status == .notFound, "\(name): \(response.status)")
                #expect(response.body == missing.body, "\(name) must answer exactly like a missing chat")
            }
            #expect(try await client.get("/api/v1/chats/", token: b).chatItems.isEmpty)
            #expect((try await client.get("/api/v1/chats/all", token: b).jsonValue as? [Any])?.isEmpty == true)
            for text in ["aardvark", "merger", "secret"] {
                #expect(try await client.get("/api/v1/chats/search?text=\(text)", token: b).chatItems.isEmpty)
            }
            // B reusing A's message ids gets its own ids; A's messages stay A's.
            let copy = try await Self.create(client, Self.chat([Self.message("u1", parent: nil, "mine", at: 1_790_000_000)], current: "u1"), token: b)
            let copyCurrent = ((copy["chat"] as? [String: Any])?["history"] as? [String: Any])?["currentId"] as? String
            #expect(copyCurrent != nil && copyCurrent != "u1")
            #expect(try await client.chatsDelete("/api/v1/chats/", token: b).status == .ok)

            let still = try await client.get("/api/v1/chats/\(id)", token: a)
            #expect(still.status == .ok)
            #expect(still.json["title"] as? String == "Secret merger plans" && still.json["pinned"] as? Bool == false && still.json["archived"] as? Bool == false)
            #expect(((still.json["chat"] as? [String: Any])?["messages"] as? [[String: Any]])?.map { $0["content"] as? String } == ["confidential aardvark"])
            #expect(Self.ids(try await client.get("/api/v1/chats/search?text=aardvark", token: a)) == [id])
            #expect(!Self.ids(try await client.get("/api/v1/chats/", token: a)).contains { $0 != id })
        }
    }

    // MARK: Bad input

    @Test("bad bodies are refused with a clear detail")
    func badBodies() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let cases: [(String, [String: Any], HTTPResponse.Status, String)] = [
                ("tool role", Self.chat([Self.message("t", parent: nil, role: "tool", "x", at: 1)], current: "t"), .unprocessableContent, "role"),
                ("content array", ["chat": ["history": ["messages": ["m": ["id": "m", "parentId": NSNull(), "role": "user", "content": [["type": "text"]]]], "currentId": "m"]]], .unprocessableContent, "content"),
                ("no chat", ["title": "x"], .unprocessableContent, "chat"),
                ("missing parent", Self.chat([Self.message("m", parent: "ghost", "x", at: 1)], current: "m"), .badRequest, "ghost"),
                ("cycle", Self.chat([Self.message("p", parent: "q", "x", at: 1), Self.message("q", parent: "p", "y", at: 2)], current: "p"), .badRequest, "cycle"),
                ("unknown current", Self.chat([Self.message("m", parent: nil, "x", at: 1)], current: "zz"), .badRequest, "currentId"),
                ("models", ["chat": ["models": [""]]], .badRequest, "models"),
            ]
            for (name, body, status, word) in cases {
                let response = try await client.post("/api/v1/chats/new", body, token: a)
                #expect(response.status == status, "\(name): \(response.status) \(response.detail)")
                #expect(response.detail.contains(word), "\(name): \(response.detail)")
            }
            let notJSON = try await client.execute(uri: "/api/v1/chats/new", method: .post, headers: [.authorization: "Bearer \(a)", .contentType: "application/json"], body: ByteBuffer(string: "{chat"))
            #expect(notJSON.status == .badRequest)
            let importBad = try await client.post("/api/v1/chats/import", Self.chat([Self.message("m", parent: "m", "x", at: 1)], current: "m"), token: a)
            #expect(importBad.status == .badRequest)
            #expect(try await client.get("/api/v1/chats/", token: a).chatItems.isEmpty, "nothing may be stored by a refused request")

            let many = (0..<10_001).map { Self.message("m\($0)", parent: $0 == 0 ? nil : "m\($0 - 1)", "x", at: Int64($0) + 1) }
            let tooMany = try await client.post("/api/v1/chats/new", Self.chat(many, current: "m10000"), token: a)
            #expect(tooMany.status == .contentTooLarge && tooMany.detail.contains("10000"))
        }
    }

    @Test("unsafe client ids are replaced consistently; a linear messages list becomes one branch")
    func idsAndLinearMessages() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await Self.accounts(client)
            let body = Self.chat([
                Self.message("bad id!", parent: nil, "q", at: 1_790_000_000),
                Self.message("ok-1", parent: "bad id!", role: "assistant", "a", at: 1_790_000_001),
                Self.message(String(repeating: "z", count: 65), parent: "ok-1", "q2", at: 1_790_000_002),
            ], current: String(repeating: "z", count: 65))
            let created = try await Self.create(client, body, token: a)
            let chat = try #require(created["chat"] as? [String: Any])
            let branch = try #require(chat["messages"] as? [[String: Any]])
            #expect(branch.map { $0["content"] as? String } == ["q", "a", "q2"])
            #expect(branch[1]["id"] as? String == "ok-1")
            let firstID = try #require(branch[0]["id"] as? String)
            #expect(firstID != "bad id!" && branch[1]["parentId"] as? String == firstID)
            #expect((chat["history"] as? [String: Any])?["currentId"] as? String == branch[2]["id"] as? String)

            let linear = try await Self.create(client, ["chat": ["messages": [
                ["role": "system", "content": "be brief"], ["role": "user", "content": "hello there"], ["role": "assistant", "content": "hi"],
            ]]], token: a)
            #expect(linear["title"] as? String == "hello there")
            let linearBranch = ((linear["chat"] as? [String: Any])?["messages"] as? [[String: Any]]) ?? []
            #expect(linearBranch.map { $0["role"] as? String } == ["system", "user", "assistant"])
            #expect(linearBranch.last?["parentId"] as? String == linearBranch[1]["id"] as? String)
        }
    }
}

extension TestResponse {
    /// The body as any JSON value (arrays and `true` included).
    fileprivate var jsonValue: Any? {
        try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed])
    }

    /// The body as a list of chats.
    fileprivate var chatItems: [[String: Any]] { jsonValue as? [[String: Any]] ?? [] }
}

extension TestClientProtocol {
    fileprivate func chatsDelete(_ path: String, token: String) async throws -> TestResponse {
        try await execute(uri: path, method: .delete, headers: [.authorization: "Bearer \(token)"])
    }
}
