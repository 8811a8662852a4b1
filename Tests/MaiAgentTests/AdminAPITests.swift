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
            // Health answers in one request what maictl health judges, agreeing with status.
            let healthResponse = try await Self.get(client, "/admin/v1/health")
            #expect(healthResponse.status == .ok)
            let health = try AdminAPI.decoder.decode(AdminHealth.self, from: Data(buffer: healthResponse.body))
            #expect(health.status && health.quickCheck == "ok")
            let facts = try #require(health.agent)
            #expect(facts.version == MaiVersion.current && facts.pid == getpid())
            #expect(facts.lastConfirmationAt == status.lastConfirmation?.finishedAt)
            #expect(facts.openrouterKeyHash == status.openrouterKey?.hash)
            let disk = try #require(health.resources?.disk, "\(String(describing: health.resources))")
            #expect(disk.path == agent.services.config.dataDirectory)
            #expect(disk.totalBytes > 0 && (0...disk.totalBytes).contains(disk.availableBytes))
            #expect(health.dataDirFreeBytes == disk.availableBytes)
            let memory = try #require(health.resources?.memory)
            #expect(memory.totalBytes > 0 && (0...memory.totalBytes).contains(memory.availableBytes))
            #expect(health.resources?.problems == [])
        }
    }

    @Test("health reads disk and memory as df and /proc/meminfo would, and names what it cannot read")
    func hostResources() throws {
        let directory = FileManager.default.temporaryDirectory.path
        let resources = HostResourcesReader.read(dataDirectory: directory)
        var info = statvfs()
        #expect(statvfs(directory, &info) == 0)
        #expect(resources.disk?.totalBytes == Int64(info.f_blocks) * Int64(info.f_frsize))
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let total = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?.split(separator: " ").dropFirst().first.flatMap { Int64($0) }
        #expect(resources.memory?.totalBytes == total.map { $0 * 1024 })

        let missing = HostResourcesReader.read(dataDirectory: "/no/such/data-dir", meminfoPath: "/no/such/meminfo")
        #expect(missing.disk == nil && missing.memory == nil)
        #expect(missing.problems.count == 2 && missing.problems[0].contains("/no/such/data-dir") && missing.problems[1].contains("not readable"),
                "\(missing.problems)")
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
