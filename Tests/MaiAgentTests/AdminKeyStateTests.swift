import Foundation
import Hummingbird
import HummingbirdTesting
import MaiCore
import MaiSimulators
import Testing

@testable import MaiAgent

/// What a key rotation reads from the agent: when the key was set, completions still streaming
/// per key, and a confirmation run on demand.
@Suite("Fleet admin API: key state for rotations")
struct AdminKeyStateTests {
    func state(_ client: any TestClientProtocol) async throws -> OpenRouterKeyState {
        try AdminAPI.decoder.decode(OpenRouterKeyState.self, from: Data(buffer: try await AdminAPITests.get(client, "/admin/v1/openrouter-key").body))
    }

    @Test("key_set_at is first-seen for the environment's key, the swap time for a new one, and shown in status")
    func keySetAt() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        let first = agent.services.clock.now
        try await AdminAPITests.adminApp(agent).test(.router) { client in
            let before = try await state(client)
            let setAt = try #require(before.keySetAt)
            #expect(abs(setAt.timeIntervalSince(first)) < 2)
            // Asked again later: still the first time, not "now".
            #expect(try await state(client).keySetAt == setAt)
            let swapped = try await client.execute(uri: "/admin/v1/openrouter-key", method: .put,
                                                   headers: [.authorization: "Bearer \(AdminAPITests.token)", .contentType: "application/json"],
                                                   body: ByteBuffer(string: #"{"key":"sk-or-v1-rotated-key-1"}"#))
            #expect(swapped.status == .ok)
            let after = try await state(client)
            #expect(after.currentHash == TokenService.sha256Hex("sk-or-v1-rotated-key-1"))
            #expect(after.keySetAt != nil)
            let status = try AdminAPI.decoder.decode(AdminStatus.self, from: Data(buffer: try await AdminAPITests.get(client, "/admin/v1/status").body))
            #expect(status.openrouterKey?.setAt == after.keySetAt)
        }
    }

    @Test("a completion streaming with the old key keeps it from draining until it is booked and confirmed")
    func inFlightAndConfirmOnDemand() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        // The agent's key answers slowly: the completion is still streaming when the key is swapped.
        harness.openRouter.registerKey(UsageTests.agentKey, behavior: KeyBehavior(latencyMs: 1500))
        let agent = try await TestAgent(environment: harness.environment())
        let tokens = try await agent.test { client in try await client.seedAccounts() }
        let oldHash = TokenService.sha256Hex(UsageTests.agentKey)
        try await agent.test { web in
            async let chat = web.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "stream": false,
                                                                  "messages": [["role": "user", "content": "slow one"]]], token: tokens.user)
            try await AdminAPITests.adminApp(agent).test(.router) { client in
                var seen: OpenRouterKeyState?
                for _ in 0..<100 {
                    let now = try await state(client)
                    if now.inFlight == 1 { seen = now; break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(seen?.inFlight == 1, "the streaming completion is counted under the current key")
                let swapped = try await client.execute(uri: "/admin/v1/openrouter-key", method: .put,
                                                       headers: [.authorization: "Bearer \(AdminAPITests.token)", .contentType: "application/json"],
                                                       body: ByteBuffer(string: #"{"key":"sk-or-v1-rotated-key-2"}"#))
                #expect(swapped.status == .ok)
                let during = try await state(client)
                #expect(during.inFlight == 0)
                #expect(during.oldKeys.first { $0.hash == oldHash }?.inFlight == 1)
                #expect(!during.isDrained(oldHash: oldHash))
            }
            #expect(try await chat.status == .ok)
        }
        try await AdminAPITests.adminApp(agent).test(.router) { client in
            let booked = try await state(client)
            #expect(booked.oldKeys.first { $0.hash == oldHash } == .init(hash: oldHash, provisional: 1, inFlight: 0))
            let confirm = try await client.execute(uri: "/admin/v1/usage/confirm", method: .post, headers: [.authorization: "Bearer \(AdminAPITests.token)"])
            #expect(confirm.status == .ok)
            let run = try AdminAPI.decoder.decode(AdminStatus.ConfirmationRun.self, from: Data(buffer: confirm.body))
            #expect(run.confirmed == 1 && run.remaining == 0)
            #expect(try await state(client).isDrained(oldHash: oldHash))
        }
    }

    @Test("confirm with key_hash looks that key's rows up now, whatever their backoff; a bad hash is refused")
    func forcedConfirmation() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        // Long enough that the first pass surely comes before OpenRouter has the generation, even on a
        // loaded machine; the forced pass comes after it.
        harness.openRouter.registerKey(UsageTests.agentKey, behavior: KeyBehavior(generationDelayMs: 2500))
        let agent = try await TestAgent(environment: harness.environment())
        let tokens = try await agent.test { client in try await client.seedAccounts() }
        try await agent.test { client in try await UsageTests.traffic(client, tokens: [tokens.user], count: 1) }
        let first = try await agent.services.confirmations.runOnce()
        #expect(first.notReady == 1 && first.remaining == 1, "\(first)")
        try await Task.sleep(for: .milliseconds(2600))  // OpenRouter has it now; the agent's backoff says 15 s
        let hash = TokenService.sha256Hex(UsageTests.agentKey)
        try await AdminAPITests.adminApp(agent).test(.router) { client in
            func confirm(_ query: String) async throws -> (HTTPResponse.Status, AdminStatus.ConfirmationRun?) {
                let response = try await client.execute(uri: "/admin/v1/usage/confirm" + query, method: .post, headers: [.authorization: "Bearer \(AdminAPITests.token)"])
                return (response.status, try? AdminAPI.decoder.decode(AdminStatus.ConfirmationRun.self, from: Data(buffer: response.body)))
            }
            let plain = try await confirm("")
            #expect(plain.0 == .ok && plain.1?.confirmed == 0 && plain.1?.remaining == 1)
            #expect(try await confirm("?key_hash=nothex").0 == .badRequest)
            let forced = try await confirm("?key_hash=\(hash)")
            #expect(forced.0 == .ok && forced.1?.confirmed == 1 && forced.1?.remaining == 0)
        }
    }
}
