import Foundation
import MaiCore
import MaiSimulators
import Synchronization
import Testing
@testable import MaiFleet

/// What `deprovision` and `keys disable` do to a leaving client's keys: every own key disabled and
/// recorded, a shared key left alone, and a failure that names the key and the command to finish.
@Suite struct ClientKeyDisablingTests {
    typealias Lines = HetznerProvisioningTests.Lines
    let openRouter: FakeKeyManagement
    let calls: Lines
    let audit = AuditLines()
    let store: KeyRotationStore
    let root: URL
    static let now = Date(timeIntervalSince1970: 1_796_256_000)  // 2026-12-03

    init() throws {
        let calls = Lines()
        self.calls = calls
        openRouter = FakeKeyManagement(observer: { call in calls.append(call) })
        root = FileManager.default.temporaryDirectory.appendingPathComponent("maictl-disable-\(UUID().uuidString)")
        let state = StateDirectory(url: root)
        try state.prepare()
        store = KeyRotationStore(state: state)
    }

    func disabling() -> ClientKeyDisabling {
        let audit = self.audit
        return ClientKeyDisabling(client: "acme", management: openRouter, store: store, audit: { audit.append($0) }, actor: "ops@laptop",
                                  now: { Self.now })
    }

    @Test func everyOwnKeyIsDisabledAndRecordedButASharedKeyIsLeftEnabled() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let current = openRouter.add(secret: "sk-or-v1-acme-new", name: "mai-acme-2026-11-26", limit: nil, reset: nil)
        let rotated = openRouter.add(secret: "sk-or-v1-acme-old", name: "mai-acme-2026-10-01", limit: nil, reset: nil)  // in its grace period
        let shared = openRouter.add(secret: "sk-or-v1-fleet", name: "fleet", limit: nil, reset: nil)
        let byHand = openRouter.add(secret: "sk-or-v1-acme-hand", name: "mai-acme-2026-09-09", limit: nil, reset: nil)  // in no history
        let others = openRouter.add(secret: "sk-or-v1-acme-eu", name: "mai-acme-eu-2026-11-26", limit: nil, reset: nil)
        try store.save(KeyHistory(entries: [
            .init(hash: shared, activeFrom: Self.now.addingTimeInterval(-90 * 86_400), retiredAt: Self.now.addingTimeInterval(-60 * 86_400)),
            .init(hash: rotated, name: "mai-acme-2026-10-01", retiredAt: Self.now.addingTimeInterval(-3600)),
            .init(hash: "gone", name: "mai-acme-2026-01-01", deletedAt: Self.now.addingTimeInterval(-30 * 86_400)),
        ]), client: "acme")

        let report = await disabling().run(agentKeyHash: current)
        #expect(report.finished && report.problems.isEmpty, "\(report)")
        let results = Dictionary(uniqueKeysWithValues: report.keys.map { ($0.hash, $0.result) })
        #expect(results == [current: .disabled, rotated: .disabled, shared: .notOwn, byHand: .disabled], "\(report.keys)")
        #expect(openRouter.keys[shared]?.disabled == false, "the shared key stays enabled for the other clients")
        #expect(openRouter.keys[others]?.disabled == false, "client acme-eu's key is not acme's")
        #expect([current, rotated, byHand].allSatisfy { openRouter.keys[$0]?.disabled == true })
        #expect(!calls.all.contains("get gone"), "a key the history says is deleted is not asked for: \(calls.all)")
        #expect(report.summary == "disabled 3 key(s); 1 not its own, left enabled", "\(report.summary)")

        let history = try store.history("acme")
        for hash in [current, rotated, byHand] {
            #expect(history.entries.first { $0.hash == hash }?.disabledAt == Self.now, "\(hash) recorded as disabled: \(history)")
        }
        #expect(history.entries.first { $0.hash == shared }?.disabledAt == nil)
        #expect(audit.all.count == 3 && audit.all.allSatisfy { $0.action == "key-disable" && $0.outcome == "ok" }, "\(audit.all)")

        // Again (the retry): nothing left to do, nothing sent.
        let again = await disabling().run()
        #expect(again.finished && !again.keys.contains { $0.result == .disabled }, "\(again)")
        #expect(openRouter.patches.count == 3)
    }

    @Test func aFailureNamesTheFullHashAndTheCommandAndTheRetryFinishes() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let current = openRouter.add(secret: "sk-or-v1-acme", name: "mai-acme-2026-11-26", limit: nil, reset: nil)
        openRouter.setDown(["patch"])
        let report = await disabling().run(agentKeyHash: current)
        #expect(!report.finished && report.stillEnabled.map(\.hash) == [current], "\(report)")
        #expect(report.problems == ["acme: key \(current) (mai-acme-2026-11-26) is still enabled at OpenRouter: OpenRouter did not disable it "
                                    + "(OpenRouter answered 503: management API down (test)). Finish with: maictl keys disable acme"],
                "\(report.problems)")
        #expect(report.summary == "1 key(s) STILL ENABLED")
        #expect(audit.all.map(\.outcome) == ["failed"])

        // `maictl keys disable acme` later: the agent is gone; the key is found by its name.
        openRouter.setDown([])
        let retry = await disabling().run()
        #expect(retry.finished && retry.keys.map(\.result) == [.disabled], "\(retry)")
        #expect(openRouter.keys[current]?.disabled == true)
    }

    @Test func withNothingKnownAndNoKeyListTheOperatorIsToldNotReassured() async throws {
        defer { try? FileManager.default.removeItem(at: root) }
        openRouter.setDown(["list"])
        let report = await disabling().run()
        #expect(!report.finished, "\(report)")
        #expect(report.problems.first?.contains("no key of acme is known to maictl") == true
                && report.problems.first?.contains("maictl keys disable acme") == true, "\(report.problems)")

        // With a list that answers and no key: nothing to do.
        openRouter.setDown([])
        let none = await disabling().run()
        #expect(none.finished && none.summary == "no key to disable", "\(none)")
    }
}

/// `maictl deprovision` with keys: after the backup and the server's deletion, the keys are
/// disabled; without a working management API nothing is deleted.
@Suite struct DeprovisionKeyTests {
    typealias Workspace = HetznerProvisioningTests.Workspace

    func keys(_ openRouter: FakeKeyManagement, _ workspace: Workspace, agent: StubAgent, audit: AuditLines) -> Deprovisioner.Keys {
        Deprovisioner.Keys(management: openRouter, store: KeyRotationStore(state: workspace.state),
                           agentKey: { _ in try await agent.openRouterKey() }, audit: { audit.append($0) }, actor: "ops@laptop")
    }

    @Test func theKeyIsDisabledAfterTheBackupAndTheDeletionAndAFailureSaysHowToFinish() async throws {
        let simulator = HetznerSimulator(configuration: HetznerProvisioningTests.configuration())
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let lines = HetznerProvisioningTests.Lines()
            let client = HetznerProvisioningTests.client(base)
            let acme = workspace.instance("acme")
            let provisioner = Provisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts, cloudInit: CloudInit(),
                                          defaults: workspace.defaults, operatorPublicKey: HetznerProvisioningTests.operatorKey,
                                          actionTimeout: .seconds(20), progress: { lines.append($0) })
            _ = try await HetznerProvisioningTests().provisionAll(provisioner, [acme])

            let order = HetznerProvisioningTests.Lines()
            let deleted: @Sendable () -> Int = { simulator.requestLog.filter { $0.hasPrefix("DELETE") }.count }
            let openRouter = FakeKeyManagement(observer: { call in if call.hasPrefix("patch") { order.append("\(call.prefix(5)) after \(deleted()) delete(s)") } })
            let current = openRouter.add(secret: "sk-or-v1-acme", name: "mai-acme-2026-11-26", limit: nil, reset: nil)
            openRouter.setDown(["patch"])
            let audit = AuditLines()
            let deprovisioner = Deprovisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts, backup: { _ in
                order.append("backup after \(deleted()) delete(s)")
                return URL(fileURLWithPath: "/tmp/acme.backup")
            }, keys: keys(openRouter, workspace, agent: StubAgent(current: current), audit: audit), progress: { lines.append($0) })
            let outcome = try await deprovisioner.deprovision(acme)
            #expect(outcome.result == "deleted")
            #expect(try await client.servers().isEmpty)
            #expect(order.all == ["backup after 0 delete(s)", "patch after 1 delete(s)"], "backup, then delete, then the key: \(order.all)")
            let report = try #require(outcome.keys)
            #expect(report.problems == ["acme: key \(current) (mai-acme-2026-11-26) is still enabled at OpenRouter: OpenRouter did not disable it "
                                        + "(OpenRouter answered 503: management API down (test)). Finish with: maictl keys disable acme"],
                    "\(report.problems)")
            #expect(outcome.keySummary == "1 key(s) STILL ENABLED")
            // The agent's key is in the history although the agent is gone: the retry knows it.
            #expect(try KeyRotationStore(state: workspace.state).history("acme").entries.map(\.hash) == [current])

            // The retry (`maictl keys disable acme`, or deprovision again: the server is absent).
            openRouter.setDown([])
            let again = try await deprovisioner.deprovision(acme)
            #expect(again.result == "absent" && again.keys?.finished == true && again.keys?.keys.map(\.result) == [.disabled], "\(again)")
            #expect(openRouter.keys[current]?.disabled == true)
            #expect(audit.all.map(\.outcome) == ["failed", "ok"], "\(audit.all)")
        }
    }

    @Test func aManagementAPIThatDoesNotAnswerStopsTheDeprovisionBeforeAnythingIsDeleted() async throws {
        let simulator = HetznerSimulator(configuration: HetznerProvisioningTests.configuration())
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let lines = HetznerProvisioningTests.Lines()
            let client = HetznerProvisioningTests.client(base)
            let acme = workspace.instance("acme")
            let provisioner = Provisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts, cloudInit: CloudInit(),
                                          defaults: workspace.defaults, operatorPublicKey: HetznerProvisioningTests.operatorKey,
                                          actionTimeout: .seconds(20), progress: { lines.append($0) })
            _ = try await HetznerProvisioningTests().provisionAll(provisioner, [acme])
            let openRouter = FakeKeyManagement()
            openRouter.setDown(["list"])
            let backups = HetznerProvisioningTests.Lines()
            let deprovisioner = Deprovisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts, backup: { _ in
                backups.append("backup")
                return URL(fileURLWithPath: "/tmp/acme.backup")
            }, keys: keys(openRouter, workspace, agent: StubAgent(current: nil), audit: AuditLines()))
            let error = await #expect(throws: Deprovisioner.NotStarted.self) { _ = try await deprovisioner.deprovision(acme) }
            #expect(error?.description.contains("nothing was deleted") == true && error?.description.contains("--keep-key") == true,
                    "\(String(describing: error))")
            #expect(try await client.servers().count == 1 && backups.all.isEmpty)

            // --keep-key: no key step at all.
            let keeping = Deprovisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts, backup: nil, keys: nil)
            let outcome = try await keeping.deprovision(acme)
            #expect(outcome.result == "deleted" && outcome.keys == nil && outcome.keySummary == "kept enabled (--keep-key)")
            #expect(openRouter.calls == ["list"], "\(openRouter.calls)")
        }
    }
}
