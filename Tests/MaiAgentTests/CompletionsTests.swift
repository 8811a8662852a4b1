import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import NIOCore
import Testing

@testable import MaiAgent

/// The relay end to end: the agent's routes, a real SQLite file, the simulators on loopback.
@Suite("Completions")
struct CompletionsTests {
    static func sseData(_ body: ByteBuffer) -> [String] {
        String(buffer: body).split(separator: "\n").compactMap { line in
            line.hasPrefix("data: ") ? String(line.dropFirst(6)) : nil
        }
    }

    static func streamedText(_ body: ByteBuffer) -> String {
        sseData(body).compactMap { line -> String? in
            guard line != "[DONE]", let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let choices = object["choices"] as? [[String: Any]],
                  let delta = choices.first?["delta"] as? [String: Any]
            else { return nil }
            return delta["content"] as? String
        }.joined()
    }

    @Test("/v1/chat/completions answers OpenAI's shape and records the generation with a pseudonymous user")
    func openAICompatible() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let response = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "Hello relay"]]], token: tokens.user)
            #expect(response.status == .ok, "\(response.detail)")
            let json = response.json
            #expect(json["object"] as? String == "chat.completion")
            let content = ((json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
            #expect(content?.isEmpty == false)
            let served = try #require(harness.openRouter.generations.last)
            #expect(json["id"] as? String == served.id)
            #expect(content == served.text)
            let usage = try #require(json["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == served.completionTokens)
            // The agent's own books.
            let record = try #require(try await agent.services.generations.recent(userID: nil, limit: 1).first)
            #expect(record.upstreamID == served.id)
            #expect(record.promptTokens == served.promptTokens && record.completionTokens == served.completionTokens)
            #expect(record.reportedCostNanos == served.cost.nanos)
            #expect(record.status == "provisional")
            #expect(record.externalUser?.hasPrefix("acme_user_") == true && record.externalUser?.count == "acme_user_".count + 8)
            #expect(served.user == record.externalUser)
            #expect(record.userID != served.user)  // the real id never leaves the instance
        }
    }

    @Test("/v1 streams OpenAI chunks ending in [DONE], usage in the last chunk")
    func openAIStream() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let response = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "stream": true, "messages": [["role": "user", "content": "Stream please"]]], token: tokens.user)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let lines = Self.sseData(response.body)
            #expect(lines.last == "[DONE]")
            #expect(Self.streamedText(response.body) == harness.openRouter.generations.last?.text)
            #expect(lines.dropLast().last?.contains("\"usage\"") == true)
            #expect(lines.dropLast().last?.contains("\"finish_reason\":\"stop\"") == true)
        }
    }

    @Test("a saved chat gets the question, the streamed answer, a title and the chat id as session")
    func savedChat() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let created = try await client.post("/api/v1/chats/new", ["chat": ["models": ["openai/gpt-4o-mini"]]], token: tokens.user)
            let chatID = try #require(created.json["id"] as? String)
            let response = try await client.post("/api/chat/completions", [
                "model": "openai/gpt-4o-mini", "chat_id": chatID, "parent_id": NSNull(),
                "messages": [["role": "user", "content": "What is sourdough?"]],
            ], token: tokens.user)
            #expect(response.status == .ok)
            let assistantID = try #require(response.headers[.messageID])
            let userMessageID = try #require(response.headers[.userMessageID])
            let answer = Self.streamedText(response.body)
            let chat = try await client.get("/api/v1/chats/\(chatID)", token: tokens.user).json
            #expect(chat["title"] as? String == "What is sourdough?")
            let history = try #require((chat["chat"] as? [String: Any])?["history"] as? [String: Any])
            #expect(history["currentId"] as? String == assistantID)
            let messages = try #require(history["messages"] as? [String: [String: Any]])
            #expect(messages[assistantID]?["content"] as? String == answer)
            #expect(messages[assistantID]?["parentId"] as? String == userMessageID)
            #expect(messages[userMessageID]?["content"] as? String == "What is sourdough?")
            #expect(harness.openRouter.generations.last?.sessionID == chatID)
            let record = try #require(try await agent.services.generations.recent(userID: nil, limit: 1).first)
            #expect(record.chatID == chatID && record.messageID == assistantID)

            // Regenerate: a second answer under the same question — a branch.
            let again = try await client.post("/api/chat/completions", [
                "model": "openai/gpt-4o-mini", "chat_id": chatID, "parent_id": userMessageID, "regenerate": true,
            ], token: tokens.user)
            #expect(again.status == .ok)
            let secondID = try #require(again.headers[.messageID])
            let after = try await client.get("/api/v1/chats/\(chatID)", token: tokens.user).json
            let tree = try #require(((after["chat"] as? [String: Any])?["history"] as? [String: Any])?["messages"] as? [String: [String: Any]])
            #expect((tree[userMessageID]?["childrenIds"] as? [String]) == [assistantID, secondID])

            // Follow-up: the provider receives the branch as context.
            _ = try await client.post("/api/chat/completions", [
                "model": "openai/gpt-4o-mini", "chat_id": chatID, "parent_id": secondID,
                "messages": [["role": "user", "content": "And rye?"]],
            ], token: tokens.user)
            let last = try #require(harness.openRouter.generations.last)
            #expect(last.promptTokens > 5)

            // Another employee cannot write into this chat.
            let admin = tokens.admin
            let foreign = try await client.post("/api/chat/completions", ["model": "openai/gpt-4o-mini", "chat_id": chatID, "messages": [["role": "user", "content": "hi"]]], token: admin)
            #expect(foreign.status == .notFound)
        }
    }

    /// Message ids are unique across all chats: ids another employee's chat already uses get fresh
    /// ones — a 200 with new ids, no 500 and no half-saved exchange, and the other chat untouched.
    @Test("message ids taken by someone else's chat are replaced, never a 500")
    func reusedMessageIDs() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let theirs = try #require(try await client.post("/api/v1/chats/new", ["chat": ["models": ["openai/gpt-4o-mini"]]], token: tokens.admin).json["id"] as? String)
            let first = try await client.post("/api/chat/completions", [
                "model": "openai/gpt-4o-mini", "chat_id": theirs, "messages": [["role": "user", "content": "Mine"]],
            ], token: tokens.admin)
            let takenUser = try #require(first.headers[.userMessageID]), takenAssistant = try #require(first.headers[.messageID])
            _ = Self.streamedText(first.body)

            let mine = try #require(try await client.post("/api/v1/chats/new", ["chat": ["models": ["openai/gpt-4o-mini"]]], token: tokens.user).json["id"] as? String)
            let response = try await client.post("/api/chat/completions", [
                "model": "openai/gpt-4o-mini", "chat_id": mine, "messages": [["role": "user", "content": "Hello"]],
                "user_message_id": takenUser, "assistant_message_id": takenAssistant,
            ], token: tokens.user)
            #expect(response.status == .ok, "\(response.status): \(String(buffer: response.body))")
            let userID = try #require(response.headers[.userMessageID]), assistantID = try #require(response.headers[.messageID])
            #expect(userID != takenUser && assistantID != takenAssistant)
            let answer = Self.streamedText(response.body)
            let messages = try #require((((try await client.get("/api/v1/chats/\(mine)", token: tokens.user).json)["chat"] as? [String: Any])?["history"] as? [String: Any])?["messages"] as? [String: [String: Any]])
            #expect(Set(messages.keys) == [userID, assistantID], "exactly the exchange, no stray message: \(messages.keys)")
            #expect(messages[assistantID]?["content"] as? String == answer && messages[assistantID]?["parentId"] as? String == userID)
            let other = try #require((((try await client.get("/api/v1/chats/\(theirs)", token: tokens.admin).json)["chat"] as? [String: Any])?["history"] as? [String: Any])?["messages"] as? [String: [String: Any]])
            #expect(other[takenUser]?["content"] as? String == "Mine", "the other chat is untouched: \(other)")
        }
    }

    @Test("an error mid-stream becomes an error event and the partial answer is kept as interrupted")
    func midstreamFailure() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let chatID = try #require(try await client.post("/api/v1/chats/new", ["chat": [:]], token: tokens.user).json["id"] as? String)
            let response = try await client.post("/api/chat/completions", [
                "model": "openai/gpt-4o-mini", "chat_id": chatID, "messages": [["role": "user", "content": "go [[sim:midstream_error]]"]],
            ], token: tokens.user)
            let lines = Self.sseData(response.body)
            let errorLine = try #require(lines.first { $0.contains("\"error\"") })
            #expect(errorLine.contains("\"finish_reason\":\"error\""))
            #expect(lines.last == "[DONE]")
            let messageID = try #require(response.headers[.messageID])
            let stored = try #require(try await agent.services.chats.find(id: chatID, userID: agent.services.users.find(email: "user@example.com")!.id)?.messages.first { $0.id == messageID })
            #expect(stored.status == .interrupted)
            #expect(!stored.content.isEmpty)
            #expect(stored.content == Self.streamedText(response.body))
        }
    }

    @Test("errors before the first token are clear HTTP errors", arguments: [(402, 402), (429, 429), (401, 502), (503, 502)])
    func upstreamErrors(upstream: Int, expected: Int) async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let response = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "stream": true, "messages": [["role": "user", "content": "x [[sim:error=\(upstream)]]"]]], token: tokens.user)
            #expect(response.status.code == expected)
            #expect(response.detail.contains("provider"), "\(response.detail)")
            if upstream == 429 { #expect(response.headers[.retryAfter] != nil) }
        }
    }

    @Test("unknown models, hidden models and missing connections are refused clearly")
    func modelChecks() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let unknown = try await client.post("/v1/chat/completions", ["model": "no/such-model", "messages": [["role": "user", "content": "x"]]], token: tokens.user)
            #expect(unknown.status == .notFound)
            #expect(unknown.detail.contains("no/such-model"))
            let hide = try await client.post("/api/v1/configs/models", ["HIDDEN_MODELS": ["deepseek/deepseek-chat"], "DEFAULT_MODELS": "anthropic/claude-3.5-sonnet"], token: tokens.admin)
            #expect(hide.status == .ok)
            let listed = try await client.get("/api/models", token: tokens.user).json
            let ids = (listed["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(!ids.contains("deepseek/deepseek-chat") && ids.contains("openai/gpt-4o-mini"))
            #expect(listed["default_model"] as? String == "anthropic/claude-3.5-sonnet")
            let openAI = try await client.get("/v1/models", token: tokens.user).json
            #expect((openAI["data"] as? [[String: Any]])?.count == ids.count)
            let hidden = try await client.post("/v1/chat/completions", ["model": "deepseek/deepseek-chat", "messages": [["role": "user", "content": "x"]]], token: tokens.user)
            #expect(hidden.status == .notFound)
            let pending = try await client.get("/api/models", token: tokens.pending)
            #expect(pending.status == .forbidden)
        }
        let bare = try await TestAgent()
        try await bare.test { client in
            let tokens = try await client.seedAccounts()
            let none = try await client.post("/v1/chat/completions", ["model": "x", "messages": [["role": "user", "content": "x"]]], token: tokens.user)
            #expect(none.status == .serviceUnavailable)
            #expect(none.detail.contains("Connections"))
        }
    }

    @Test("Anthropic and Gemini connections serve chats through the same API")
    func otherProviders() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment(anthropic: true, gemini: true))
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let models = try await client.get("/api/models", token: tokens.user).json["data"] as? [[String: Any]] ?? []
            for kind in ["anthropic", "gemini"] {
                let model = try #require(models.first { $0["owned_by"] as? String == kind }?["id"] as? String, "no \(kind) model")
                let response = try await client.post("/v1/chat/completions", ["model": model, "stream": true, "messages": [["role": "system", "content": "Be brief."], ["role": "user", "content": "Hello \(kind)"]]], token: tokens.user)
                #expect(response.status == .ok)
                #expect(!Self.streamedText(response.body).isEmpty, "\(kind)")
                #expect(Self.sseData(response.body).last == "[DONE]")
            }
            let providers = try await agent.services.generations.recent(userID: nil, limit: 2).map(\.provider)
            #expect(Set(providers) == ["anthropic", "gemini"])
        }
    }

    @Test("a client that goes away cancels the upstream request; the partial answer is kept")
    func clientDisconnect() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        let (token, chatID) = try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let chatID = try #require(try await client.post("/api/v1/chats/new", ["chat": [:]], token: tokens.user).json["id"] as? String)
            return (tokens.user, chatID)
        }
        let server = try await AgentServer.start(agent)
        defer { server.stop() }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/api/chat/completions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"model":"openai/gpt-4o-mini","chat_id":"\#(chatID)","messages":[{"role":"user","content":"slow [[sim:tps=20]] [[sim:tokens=300]]"}]}"#))
        let reader = Task {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            var received = 0
            for try await buffer in response.body {
                received += buffer.readableBytes
                if received > 600 { break }  // the employee closes the tab
            }
        }
        _ = try await reader.value
        var generation = harness.openRouter.generations.last
        for _ in 0..<100 where generation?.cancelled != true {
            try await Task.sleep(for: .milliseconds(50))
            generation = harness.openRouter.generations.last
        }
        #expect(generation?.cancelled == true)
        let userID = try #require(try await agent.services.users.find(email: "user@example.com")).id
        var answer: ChatMessageRecord?
        for _ in 0..<100 {
            answer = try await agent.services.chats.find(id: chatID, userID: userID)?.messages.first { $0.role == .assistant }
            if answer?.status != .streaming { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(answer?.status == .interrupted)
        #expect(answer?.content.isEmpty == false)
        let record = try await agent.services.generations.recent(userID: userID, limit: 1).first
        #expect(record?.finishReason == "cancelled")
    }
}

extension CompletionsTests {
    @Test("a generation is booked as soon as the provider names it, and completed in place when the answer ends")
    func earlyBooking() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        let token = try await agent.test { client in try await client.seedAccounts().user }
        let server = try await AgentServer.start(agent)
        defer { server.stop() }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"slow [[sim:tps=20]] [[sim:tokens=40]]"}]}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(20))
        var iterator = response.body.makeAsyncIterator()
        var seen = ""
        while !seen.contains("\"content\":\"") { seen += String(buffer: try #require(try await iterator.next())) }
        var early: MaiAgent.GenerationRecord?
        for _ in 0..<50 where early == nil {
            early = try await agent.services.generations.recent(userID: nil, limit: 1).first
            if early == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(early?.finishReason == "streaming")
        #expect(early?.upstreamID?.hasPrefix("gen-") == true)
        while let buffer = try await iterator.next() { seen += String(buffer: buffer) }
        #expect(seen.contains("[DONE]"))
        var final = try await agent.services.generations.recent(userID: nil, limit: 5)
        for _ in 0..<50 where final.first?.finishReason != "stop" {
            try await Task.sleep(for: .milliseconds(20))
            final = try await agent.services.generations.recent(userID: nil, limit: 5)
        }
        #expect(final.count == 1)
        #expect(final.first?.id == early?.id && final.first?.finishReason == "stop" && final.first?.completionTokens == 40)
        let requests = try await agent.services.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT SUM(requests) FROM usage_daily") }
        #expect(requests == 1)
    }
}

/// The agent on a real loopback port, for tests that need a socket a client can drop.
final class AgentServer: Sendable {
    let port: Int
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    static func start(_ agent: TestAgent) async throws -> AgentServer {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: agent.router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: agent.services.logger
        )
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
        return AgentServer(port: port, task: task)
    }

    func stop() {
        task.cancel()
    }
}
