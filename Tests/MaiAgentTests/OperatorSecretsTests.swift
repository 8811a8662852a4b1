import Foundation
import Hummingbird
import HummingbirdTesting
import MaiCore
import MaiSimulators
import NIOCore
import Testing

@testable import MaiAgent

/// A client admin (not the operator) tries to get the operator's OpenRouter key, or to use the
/// agent to reach the host's network. Each test points the agent at a `RecordingListener` — the
/// attacker's server — and checks what reached it.
@Suite("Operator secrets and outbound addresses")
struct OperatorSecretsTests {
    /// `OPENROUTER_API_KEY` in `SimulatorHarness.environment()`: the operator's key.
    static let operatorKey = "sk-or-v1-agent-test"

    static func connection(_ client: any TestClientProtocol, _ id: String, token: String) async throws -> [String: Any] {
        let list = try await client.get("/api/v1/connections/", token: token).json["connections"] as? [[String: Any]] ?? []
        return list.first { $0["id"] as? String == id } ?? [:]
    }

    static func swapKey(_ agent: TestAgent, to key: String) async throws -> TestResponse {
        try await AdminAPITests.adminApp(agent).test(.router) { client in
            try await client.execute(uri: "/admin/v1/openrouter-key", method: .put,
                                     headers: [.authorization: "Bearer \(AdminAPITests.token)", .contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"key":"\#(key)"}"#))
        }
    }

    @Test("a client admin cannot send the operator's OpenRouter key to another address; the fleet key swap stays at the operator's")
    func operatorKeyStaysWithItsAddress() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let attacker = try await RecordingListener.start(answering: .json(#"{"data":{"label":"stolen"}}"#))
        defer { attacker.stop() }
        var environment = harness.environment()
        // The attacker's server is reachable: only the key rule stands between it and the key.
        environment["ALLOW_PRIVATE_PROVIDER_URLS"] = "127.0.0.1"
        let agent = try await TestAgent(environment: environment)
        let tokens = try await agent.test { client in try await client.seedAccounts() }
        let stolenURL = attacker.base + "/api/v1"
        try await agent.test { client in
            let attempts: [[String: Any]] = [
                ["base_url": stolenURL],
                ["base_url": stolenURL, "api_key": ""],
                ["base_url": stolenURL, "enabled": false],
                ["name": "Company OpenRouter", "base_url": stolenURL, "model_prefix": "co"],
            ]
            for form in attempts {
                let response = try await client.post("/api/v1/connections/openrouter", form, token: tokens.admin)
                #expect(response.status == .badRequest, "\(form): \(response.status) \(String(buffer: response.body))")
                #expect(response.detail.contains("api_key"), "\(form): \(String(buffer: response.body))")
            }
            // Renaming, disabling and enabling keep the operator's key at the operator's address.
            for form: [String: Any] in [["name": "Company OpenRouter"], ["enabled": false], ["enabled": true]] {
                let response = try await client.post("/api/v1/connections/openrouter", form, token: tokens.admin)
                #expect(response.status == .ok, "\(form): \(String(buffer: response.body))")
                #expect(response.json["base_url"] as? String == harness.openRouterBase, "\(String(buffer: response.body))")
            }
            #expect(!attacker.received(secret: Self.operatorKey), "the attacker's server saw: \(attacker.seen)")
        }

        // A row an earlier version left behind (the operator's key, an admin's address) is not honoured.
        let now = agent.services.clock.seconds
        let sealedOperatorKey = try agent.services.connections.sealer.seal(Self.operatorKey)
        for sealed: Data? in [nil, sealedOperatorKey] {
            try await agent.services.connections.repository.save(ConnectionRecord(
                id: "openrouter", kind: "openrouter", name: "OpenRouter", baseURL: stolenURL, apiKeySealed: sealed, keyHint: "",
                modelPrefix: "", enabled: true, createdAt: now, updatedAt: now))
            let stored = try #require(try await agent.services.connections.all().first { $0.id == "openrouter" })
            #expect(stored.baseURL == harness.openRouterBase && stored.apiKey?.value == Self.operatorKey, "\(stored.baseURL)")
        }
        try await agent.test { client in
            let verify = try await client.post("/api/v1/connections/openrouter/verify", [:], token: tokens.admin)
            #expect(verify.json["ok"] as? Bool == true, "\(String(buffer: verify.body))")
        }
        #expect(!attacker.received(secret: Self.operatorKey), "the attacker's server saw: \(attacker.seen)")

        // With a key of their own, an admin may use another address; that key alone goes there.
        let ownKey = "sk-or-v1-admins-own-key-9999"
        try await agent.test { client in
            let own = try await client.post("/api/v1/connections/openrouter", ["base_url": stolenURL, "api_key": ownKey], token: tokens.admin)
            #expect(own.status == .ok, "\(String(buffer: own.body))")
            #expect(own.json["base_url"] as? String == stolenURL)
        }
        #expect(attacker.received(secret: ownKey), "\(attacker.seen)")
        #expect(!attacker.received(secret: Self.operatorKey), "the attacker's server saw: \(attacker.seen)")

        // maictl keys rotate pushes the operator's next key: validated and used at the operator's address only.
        let rotated = "sk-or-v1-rotated-by-maictl-77"
        let swapped = try await Self.swapKey(agent, to: rotated)
        #expect(swapped.status == .ok, "\(String(buffer: swapped.body))")
        #expect(!attacker.received(secret: rotated), "the attacker's server saw: \(attacker.seen)")
        try await agent.test { client in
            #expect(try await Self.connection(client, "openrouter", token: tokens.admin)["base_url"] as? String == harness.openRouterBase)
            let answer = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "hi"]]], token: tokens.user)
            #expect(answer.status == .ok, "\(String(buffer: answer.body))")
        }
        #expect(harness.openRouter.generations.last?.keyHash == SimulatedKey.hash(of: rotated))
        #expect(!attacker.received(secret: rotated), "the attacker's server saw: \(attacker.seen)")
    }

    @Test("an embedding address set by an admin never receives the environment's key")
    func embeddingKeyStaysWithOperatorAddress() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let attacker = try await RecordingListener.start(answering: .json(#"{"data":[{"embedding":[0.5,0.5],"index":0}]}"#))
        defer { attacker.stop() }
        var environment = harness.environment()
        environment["ALLOW_PRIVATE_PROVIDER_URLS"] = "127.0.0.1"
        environment["RAG_EMBEDDING_MODEL"] = "openai/text-embedding-3-small"
        let agent = try await TestAgent(environment: environment)
        // The operator's own address gets the operator's key.
        let operatorSettings = try await agent.services.knowledgeSettings()
        #expect((agent.services.knowledge.embedder(operatorSettings) as? OpenAICompatibleEmbedder)?.apiKey == Self.operatorKey)
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let changed = try await client.post("/api/v1/retrieval/config/update", ["RAG_EMBEDDING_BASE_URL": attacker.base + "/v1"], token: tokens.admin)
            #expect(changed.status == .ok, "\(String(buffer: changed.body))")
            #expect(changed.json["embedding_key_set"] as? Bool == false, "\(String(buffer: changed.body))")
        }
        let settings = try await agent.services.knowledgeSettings()
        let embedder = try #require(agent.services.knowledge.embedder(settings))
        _ = try await embedder.embed(["a private passage of an employee"])
        #expect(!attacker.seen.isEmpty)
        #expect(attacker.seen.allSatisfy { $0.authorization == nil }, "the attacker's server saw: \(attacker.seen)")
        #expect(!attacker.received(secret: Self.operatorKey))
    }

    @Test("addresses on the host's network set by an admin are refused with a 400 that names the setting")
    func privateAddressesRefused() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let service = try await RecordingListener.start(answering: .json(#"{"data":[]}"#))
        defer { service.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        let port = service.port
        let addresses = [
            "http://127.0.0.1:\(port)/v1", "http://localhost:\(port)/v1", "http://[::1]:\(port)/v1", "http://2130706433:\(port)/v1",
            "http://0.0.0.0:\(port)/v1", "http://[::ffff:127.0.0.1]:\(port)/v1", "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.1/v1", "http://172.16.0.1/v1", "http://192.168.1.1/v1", "http://100.64.0.1/v1", "http://[fe80::1]/v1",
            "http://[fd00:ec2::254]/v1",
        ]
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            for url in addresses {
                for form: [String: Any] in [["kind": "custom", "base_url": url], ["kind": "openai", "base_url": url, "api_key": "sk-test-0000000000"]] {
                    let response = try await client.post("/api/v1/connections/new", form, token: tokens.admin)
                    #expect(response.status == .badRequest, "\(form): \(response.status) \(String(buffer: response.body))")
                    #expect(response.detail.contains("ALLOW_PRIVATE_PROVIDER_URLS"), "\(form): \(String(buffer: response.body))")
                }
                let moved = try await client.post("/api/v1/connections/openrouter", ["base_url": url, "api_key": "sk-or-v1-admins-own-key-1"], token: tokens.admin)
                #expect(moved.status == .badRequest && moved.detail.contains("ALLOW_PRIVATE_PROVIDER_URLS"), "\(url): \(String(buffer: moved.body))")
                let embedding = try await client.post("/api/v1/retrieval/config/update", ["RAG_EMBEDDING_BASE_URL": url], token: tokens.admin)
                #expect(embedding.status == .badRequest && embedding.detail.contains("ALLOW_PRIVATE_PROVIDER_URLS"), "\(url): \(String(buffer: embedding.body))")
            }
            let metadata = try await client.post("/api/v1/connections/new", ["kind": "custom", "base_url": "http://169.254.169.254/v1"], token: tokens.admin)
            #expect(metadata.detail.contains("169.254.169.254") && metadata.detail.contains("link-local"), "\(String(buffer: metadata.body))")
            #expect(try await Self.connection(client, "openrouter", token: tokens.admin)["base_url"] as? String == harness.openRouterBase)
        }
        #expect(service.seen.isEmpty, "the internal service saw: \(service.seen)")

        // The operator can allow the host's own network in the environment.
        var environment = harness.environment()
        environment["ALLOW_PRIVATE_PROVIDER_URLS"] = "127.0.0.0/8"
        let allowed = try await TestAgent(environment: environment)
        try await allowed.test { client in
            let tokens = try await client.seedAccounts()
            let added = try await client.post("/api/v1/connections/new", ["kind": "custom", "base_url": service.base + "/v1"], token: tokens.admin)
            #expect(added.status == .ok, "\(String(buffer: added.body))")
        }
        #expect(!service.seen.isEmpty)
    }

    @Test("an upstream error page is not shown to the admin: status and the provider's own message only")
    func upstreamErrorBodiesSanitised() async throws {
        let service = try await RecordingListener.start()
        defer { service.stop() }
        let elsewhere = try await RecordingListener.start(answering: .json(#"{"data":[]}"#))
        defer { elsewhere.stop() }
        let agent = try await TestAgent(environment: ["ALLOW_PRIVATE_PROVIDER_URLS": "127.0.0.1"])
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            func add() async throws -> TestResponse {
                try await client.post("/api/v1/connections/new", ["kind": "custom", "base_url": service.base + "/v1"], token: tokens.admin)
            }
            let page = try await add()
            let body = String(buffer: page.body)
            #expect(page.status == .badRequest, "\(body)")
            #expect(!body.contains("secret internal page") && !body.contains("hunter2") && !body.contains("<html"), "\(body)")
            #expect(page.detail.contains("500"), "\(body)")

            service.respond(with: .json(#"{"error":{"message":"model \u001b[31moverloaded\n\u202eplease retry"}}"#, status: .serviceUnavailable))
            let provider = try await add()
            #expect(provider.detail.contains("503") && provider.detail.contains("overloaded"), "\(String(buffer: provider.body))")
            #expect(!provider.detail.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x202e || $0 == "\n" }, "\(String(buffer: provider.body))")

            // A redirect is not followed (it would reach an address nobody checked).
            service.respond(with: .init(status: .found, contentType: "text/html", body: "<html>moved</html>",
                                        location: elsewhere.base + "/v1/models"))
            let redirected = try await add()
            #expect(redirected.status == .badRequest && redirected.detail.contains("302"), "\(String(buffer: redirected.body))")
            #expect(!String(buffer: redirected.body).contains("<html"))
        }
        #expect(elsewhere.seen.isEmpty, "\(elsewhere.seen)")
    }
}
