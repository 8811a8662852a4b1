import Foundation
import Hummingbird
import HummingbirdTesting
import MaiCore
import MaiSimulators
import Testing

@testable import MaiAgent

@Suite("Fleet admin API")
struct AdminAPITests {
    static let token = "fleet-token-0123456789abcdef0123456789"

    static func adminApp(_ agent: TestAgent) -> some ApplicationProtocol {
        Application(router: buildAdminRouter(services: agent.services, token: Secret(token)), logger: agent.services.logger)
    }

    static func get(_ client: any TestClientProtocol, _ path: String, token: String? = AdminAPITests.token) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:])
    }

    @Test("without the token, or with a wrong one, every path answers the same bare 401")
    func unauthorized() async throws {
        let agent = try await TestAgent()
        try await Self.adminApp(agent).test(.router) { client in
            for path in ["/admin/v1/status", "/admin/v1/usage", "/admin/v1/nope", "/metrics"] {
                for token in [nil, "wrong", String(Self.token.dropLast()), Self.token + "x"] as [String?] {
                    let response = try await Self.get(client, path, token: token)
                    #expect(response.status == .unauthorized, "\(path) \(String(describing: token))")
                    #expect(String(buffer: response.body) == #"{"detail":"Unauthorized"}"#)
                }
            }
            #expect(try await Self.get(client, "/admin/v1/status").status == .ok)
        }
    }

    @Test("status and usage report the books the web app shows")
    func statusAndUsage() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await UsageTests.traffic(client, tokens: [tokens.user, tokens.admin], count: 2)
        }
        _ = try await agent.services.confirmations.runOnce()
        try await Self.adminApp(agent).test(.router) { client in
            let status = try AdminAPI.decoder.decode(AdminStatus.self, from: Data(buffer: try await Self.get(client, "/admin/v1/status").body))
            #expect(status.instance == "acme")
            #expect(status.users == 3)
            #expect(status.today.requests == 4 && status.today.confirmed == 4)
            #expect(status.lastConfirmation?.confirmed == 4)
            #expect(status.openrouterKey?.hash == TokenService.sha256Hex(UsageTests.agentKey))
            #expect(status.openrouterKey?.hint == "sk-or-…test")
            #expect(status.databaseBytes > 0)
            #expect(status.markupRate == "1.3")
            let usage = try AdminAPI.decoder.decode(AdminUsageReport.self, from: Data(buffer: try await Self.get(client, "/admin/v1/usage?group_by=user").body))
            #expect(usage.rows.count == 2)
            #expect(usage.rows.allSatisfy { $0.label.contains("@example.com") })
            let simulatorTotal = harness.openRouter.generations.reduce(Int64(0)) { $0 + $1.cost.nanos }
            #expect(usage.totals.rawCost == Money(nanos: simulatorTotal))
            #expect(try await Self.get(client, "/admin/v1/usage?group_by=week").status == .badRequest)
            #expect(try await Self.get(client, "/admin/v1/health").status == .ok)
        }
    }

    @Test("a key swap is validated, switches new requests, and old-key rows are still confirmed with the old key")
    func keySwap() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        harness.openRouter.registerKey("sk-or-v1-disabled-new-key", behavior: KeyBehavior(disabled: true))
        let agent = try await TestAgent(environment: harness.environment())
        let tokens = try await agent.test { client in try await client.seedAccounts() }
        try await agent.test { client in try await UsageTests.traffic(client, tokens: [tokens.user], count: 3) }
        try await Self.adminApp(agent).test(.router) { client in
            func put(_ key: String) async throws -> TestResponse {
                try await client.execute(uri: "/admin/v1/openrouter-key", method: .put,
                                         headers: [.authorization: "Bearer \(Self.token)", .contentType: "application/json"],
                                         body: ByteBuffer(string: #"{"key":"\#(key)"}"#))
            }
            #expect(try await put("not-a-key").status == .badRequest)
            let refused = try await put("sk-or-v1-disabled-new-key")
            #expect(refused.status == .badRequest)
            let swapped = try await put("sk-or-v1-brand-new-key-42")
            #expect(swapped.status == .ok, "\(String(buffer: swapped.body))")
            let state = try AdminAPI.decoder.decode(OpenRouterKeyState.self, from: Data(buffer: swapped.body))
            #expect(state.currentHash == TokenService.sha256Hex("sk-or-v1-brand-new-key-42"))
            #expect(state.oldKeys == [.init(hash: TokenService.sha256Hex(UsageTests.agentKey), provisional: 3, inFlight: 0)])
        }
        try await agent.test { client in try await UsageTests.traffic(client, tokens: [tokens.user], count: 1) }
        #expect(harness.openRouter.generations.last?.keyHash == TokenService.sha256Hex("sk-or-v1-brand-new-key-42"))
        let result = try await agent.services.confirmations.runOnce()
        #expect(result.confirmed == 4 && result.remaining == 0)
        try await Self.adminApp(agent).test(.router) { client in
            let state = try AdminAPI.decoder.decode(OpenRouterKeyState.self, from: Data(buffer: try await Self.get(client, "/admin/v1/openrouter-key").body))
            #expect(state.oldKeys.allSatisfy { $0.provisional == 0 })
            #expect(state.provisional == 0)
        }
    }
}
