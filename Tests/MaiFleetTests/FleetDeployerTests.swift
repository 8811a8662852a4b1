import Foundation
import MaiCore
import Testing
@testable import MaiFleet

/// The rollout over several hosts against scripted hosts (no network): locks all or nothing, and
/// the ledger records what serves.
@Suite("Deploy: locks and ledger across the fleet")
struct FleetDeployerTests {
    typealias ScriptedHost = InstanceDeployerTests.ScriptedHost

    static let commands = EngineCommands(engine: "podman")

    func instances() throws -> [Instance] {
        let fleet = try TemporaryFleet(clients: ["acme": TemporaryFleet.client(domain: "chat.acme.example"),
                                                 "globex": TemporaryFleet.client(domain: "chat.globex.example"),
                                                 "initech": TemporaryFleet.client(domain: "chat.initech.example")])
        defer { fleet.remove() }
        return try FleetLoader(directory: fleet.root).load().instances.sorted { $0.slug < $1.slug }
    }

    func fleetDeployer(hosts: [String: ScriptedHost], unreachable: Set<String> = [], ledger: LedgerFile? = nil) -> FleetDeployer {
        let deployer = InstanceDeployer(commands: Self.commands, audit: { _, _ in }, progress: { _ in }, drain: .zero,
                                        switchTimeout: .seconds(120), pollInterval: .milliseconds(10), minimumSwitchWait: .zero)
        return FleetDeployer(connect: { instance, body in
            if unreachable.contains(instance.slug) {
                throw FleetDeployerError(detail: "connecting to 198.51.100.12:22: Connection refused")
            }
            try await body(try #require(hosts[instance.slug]))
        }, deployer: deployer, ledger: ledger, lockWait: .zero, progress: { _ in })
    }

    /// A host that gives its lock and takes it back.
    static func lockingHost() -> ScriptedHost {
        ScriptedHost { command in
            command == commands.acquireLock() || command == commands.releaseLock() ? InstanceDeployerTests.ok() : nil
        }
    }

    @Test func anUnreachableHostFailsTheStartAndTheLocksAlreadyTakenAreReleased() async throws {
        let acme = Self.lockingHost(), initech = Self.lockingHost()
        let fleet = fleetDeployer(hosts: ["acme": acme, "initech": initech], unreachable: ["globex"])
        let error = await #expect(throws: FleetDeployer.StartError.self) {
            try await fleet.lockAll(try instances(), holder: LockHolder(holder: "ops@laptop (pid 1)", since: "now", message: "deploy v2"), parallel: 3)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text == "globex: cannot take the deploy lock: connecting to 198.51.100.12:22: Connection refused\n"
                + "Nothing was deployed; the deploy locks this run had taken were released.", "\(text)")
        if case .unreachable? = error {} else { Issue.record("an unreachable host is not a held lock (exit 1, not 3): \(text)") }
        for host in [acme, initech] {
            #expect(host.log.map(\.0) == [Self.commands.acquireLock(), Self.commands.releaseLock()], "taken, then given back")
            #expect(host.log.first?.1.contains("message=deploy v2") == true, "the holder's info goes to the lock file")
        }
    }

    @Test func aLockThatCannotBeGivenBackIsNamedWithTheCommandThatFreesIt() async throws {
        let acme = ScriptedHost { command in
            command == Self.commands.acquireLock() ? InstanceDeployerTests.ok()
                : command == Self.commands.releaseLock() ? InstanceDeployerTests.fail("rmdir: Read-only file system") : nil
        }
        let held = ScriptedHost { command in
            command == Self.commands.acquireLock()
                ? ExecResult(exitStatus: 3, stdout: Data("holder=alice@laptop (pid 4242)\nsince=2026-01-02T03:04:05Z\nmessage=hotfix\n".utf8), stderr: Data())
                : nil
        }
        let fleet = fleetDeployer(hosts: ["acme": acme, "globex": held, "initech": Self.lockingHost()])
        let error = await #expect(throws: FleetDeployer.StartError.self) {
            try await fleet.lockAll(try instances(), holder: LockHolder(holder: "ops", since: "now", message: ""), parallel: 3)
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.hasPrefix("globex: deploy lock held by alice@laptop (pid 4242) since 2026-01-02T03:04:05Z (hotfix)\n"), "\(text)")
        #expect(text.hasSuffix("Nothing was deployed; the deploy lock could not be released on acme: maictl lock release acme."), "\(text)")
        if case .locked? = error {} else { Issue.record("a held lock exits 3: \(text)") }
    }

    /// The old container would not stop after the switch: the instance is reported failed, and
    /// the ledger says what serves (v2), so a later rollback goes back to v1.
    @Test func theLedgerRecordsWhatServesAfterAFailedStopOfTheOldContainer() async throws {
        let instance = try #require(try instances().first)
        let host = InstanceDeployerTests.host(serving: "b v1 true", hasImage: true, healthy: true) { command in
            switch command {
            case Self.commands.stopAndRemove(name: "mai-agent-prev", grace: 30):
                return ExecResult(exitStatus: 125, stdout: Data(), stderr: Data("Error: given PID did not die within timeout".utf8))
            case Self.commands.describe(name: "mai-agent-prev"): return InstanceDeployerTests.ok("b v1 true\n")
            case Self.commands.releaseLock(): return InstanceDeployerTests.ok()
            default: return nil
            }
        }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mai-ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: state) }
        let ledger = LedgerFile(stateDirectory: state)
        try ledger.update { $0.record(.init(version: "v1", image: "localhost/mai-agent:v1", deployedAt: "2026-01-01T00:00:00Z", kind: "deploy"), for: instance.slug) }
        let fleet = fleetDeployer(hosts: [instance.slug: host], ledger: ledger)
        let request = DeployRequest(instance: instance, version: "v2", image: "localhost/mai-agent:v2",
                                    environment: AgentEnvironment(instance: instance, fleetToken: Secret("t"), openRouterKey: nil),
                                    imageArchive: nil, healthTimeout: .seconds(1), keepImages: 2, actor: "ops")
        let outcomes = await fleet.rollout(RolloutPlan(instances: [instance.slug], batch: .count(1), maxFailures: 1),
                                           requests: [instance.slug: request], parallel: 1)
        #expect(outcomes.map(\.result) == [.failed])
        #expect(outcomes.first?.detail.contains("v2 serves (slot a), v1 is still running as mai-agent-prev") == true, "\(outcomes)")
        let book = try ledger.load()
        #expect(book.current(instance.slug) == "v2" && book.previous(instance.slug) == "v1")
        #expect(host.log.last?.0 == Self.commands.releaseLock(), "the host's lock is released after the failure")
    }
}
