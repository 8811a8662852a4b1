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
}
