import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import Testing

@testable import MaiAgent

@Suite("Connections")
struct ConnectionsTests {
    @Test("an OpenRouter key is checked with GET /key before it is saved, and never shown back")
    func addOpenRouter() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        harness.openRouter.registerKey("sk-or-v1-revoked-key-0001", behavior: KeyBehavior(disabled: true))
        // No provider in the environment; the admin adds the simulator, which runs on loopback:
        // the operator allows that (an admin-set address is public-only by default).
        let agent = try await TestAgent(environment: ["ALLOW_PRIVATE_PROVIDER_URLS": "127.0.0.1"])
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let refused = try await client.post("/api/v1/connections/new", ["kind": "openrouter", "base_url": harness.openRouterBase, "api_key": "sk-or-v1-revoked-key-0001"], token: tokens.admin)
            #expect(refused.status == .badRequest)
            #expect(refused.detail.contains("OpenRouter refused"), "\(refused.detail)")
            #expect((try await client.get("/api/v1/connections/", token: tokens.admin).json["connections"] as? [Any])?.isEmpty == true)

            let key = "sk-or-v1-good-key-123456789"
            let added = try await client.post("/api/v1/connections/new", ["kind": "openrouter", "base_url": harness.openRouterBase, "api_key": key], token: tokens.admin)
            #expect(added.status == .ok, "\(added.detail)")
            #expect(added.json["id"] as? String == "openrouter")
            #expect(added.json["key_hint"] as? String == "sk-or-…6789")
            #expect(added.json["has_key"] as? Bool == true)
            #expect(added.json["source"] as? String == "database")
            #expect(!String(buffer: added.body).contains(key))
            let listed = try await client.get("/api/v1/connections/", token: tokens.admin)
            #expect(!String(buffer: listed.body).contains(key))
            // Stored sealed: the database file does not hold the key.
            let sealed = try await agent.services.database.pool.read { db in try Data.fetchOne(db, sql: "SELECT api_key_sealed FROM connections") }
            #expect(sealed != nil && !String(decoding: sealed!, as: UTF8.self).contains("good-key"))
            // The employee now sees the models and can chat.
            let models = try await client.get("/api/models", token: tokens.user).json["data"] as? [[String: Any]] ?? []
            #expect(models.count == SimulatedModel.openRouterDefaults.count)
            let answer = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "hi"]]], token: tokens.user)
            #expect(answer.status == .ok)
            // Renaming keeps the key; users cannot see the admin page.
            let renamed = try await client.post("/api/v1/connections/openrouter", ["name": "Company OpenRouter"], token: tokens.admin)
            #expect(renamed.json["name"] as? String == "Company OpenRouter")
            #expect(renamed.json["key_hint"] as? String == "sk-or-…6789")
            #expect(try await client.get("/api/v1/connections/", token: tokens.user).status == .forbidden)
            let verify = try await client.post("/api/v1/connections/openrouter/verify", [:], token: tokens.admin)
            #expect(verify.json["ok"] as? Bool == true)
            // Removing it removes its models.
            #expect(try await client.execute(uri: "/api/v1/connections/openrouter", method: .delete, headers: [.authorization: "Bearer \(tokens.admin)"]).status == .ok)
            #expect((try await client.get("/api/models", token: tokens.user).json["data"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("environment connections can be disabled and re-keyed but not removed")
    func environmentConnection() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let list = try await client.get("/api/v1/connections/", token: tokens.admin).json["connections"] as? [[String: Any]] ?? []
            #expect(list.first?["source"] as? String == "environment")
            #expect(list.first?["key_hint"] as? String == "sk-or-…test")
            let remove = try await client.execute(uri: "/api/v1/connections/openrouter", method: .delete, headers: [.authorization: "Bearer \(tokens.admin)"])
            #expect(remove.status == .badRequest)
            #expect(remove.detail.contains("disable it instead"))
            let disabled = try await client.post("/api/v1/connections/openrouter", ["enabled": false], token: tokens.admin)
            #expect(disabled.json["enabled"] as? Bool == false)
            #expect((try await client.get("/api/models", token: tokens.user).json["data"] as? [Any])?.isEmpty == true)
            // A new key from the admin wins over the environment's (what key rotation will push).
            let rekeyed = try await client.post("/api/v1/connections/openrouter", ["enabled": true, "api_key": "sk-or-v1-rotated-key-5555"], token: tokens.admin)
            #expect(rekeyed.status == .ok, "\(rekeyed.detail)")
            #expect(rekeyed.json["key_hint"] as? String == "sk-or-…5555")
            _ = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "hi"]]], token: tokens.user)
            #expect(harness.openRouter.generations.last?.keyHash == SimulatedKey.hash(of: "sk-or-v1-rotated-key-5555"))
        }
    }

    @Test("bad connection input is refused clearly")
    func badInput() async throws {
        let agent = try await TestAgent(environment: ["ALLOW_PRIVATE_PROVIDER_URLS": "127.0.0.1"])
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let cases: [([String: Any], String)] = [
                (["name": "x"], "kind"),
                (["kind": "openrouter"], "api_key"),
                (["kind": "custom"], "base_url"),
                (["kind": "openai", "api_key": "sk-x", "base_url": "ftp://x"], "http"),
                (["kind": "openai", "api_key": "has space", "base_url": "http://127.0.0.1:1"], "key"),
                (["kind": "openai", "api_key": "sk-abc", "model_prefix": "bad prefix!"], "model_prefix"),
            ]
            for (form, words) in cases {
                let response = try await client.post("/api/v1/connections/new", form, token: tokens.admin)
                #expect(response.status == .badRequest || response.status == .unprocessableContent, "\(form): \(response.status)")
                #expect(response.detail.contains(words), "\(form): \(response.detail)")
            }
            // An unreachable provider is reported, not saved.
            let unreachable = try await client.post("/api/v1/connections/new", ["kind": "custom", "base_url": "http://127.0.0.1:9/v1"], token: tokens.admin)
            #expect(unreachable.status == .badRequest)
            #expect(unreachable.detail.contains("refused"), "\(unreachable.detail)")
        }
    }
}
