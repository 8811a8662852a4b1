import Foundation
import MaiCore
import Testing
@testable import MaiFleet

/// The per-instance sequence against a scripted host: what runs, in what order, and what never
/// runs when the new version is unhealthy. The host double fails every command it was not told about.
@Suite("Deploy: the steps on one instance")
struct InstanceDeployerTests {
    /// Answers commands with `answer`; anything it returns nil for is a test failure.
    final class ScriptedHost: HostRunner, @unchecked Sendable {
        let label = "acme"
        let answer: @Sendable (RemoteCommand) -> ExecResult?
        private let lock = NSLock()
        private var _log: [(RemoteCommand, String)] = []
        var log: [(RemoteCommand, String)] { lock.withLock { _log } }

        init(answer: @escaping @Sendable (RemoteCommand) -> ExecResult?) { self.answer = answer }

        func run(_ command: RemoteCommand, stdin: Data?, timeout: Duration) async throws -> ExecResult {
            lock.withLock { _log.append((command, stdin.map { String(decoding: $0, as: UTF8.self) } ?? "")) }
            guard let result = answer(command) else {
                Issue.record("unexpected command: \(command)")
                return ExecResult(exitStatus: 99, stdout: Data(), stderr: Data("not scripted".utf8))
            }
            return result
        }

        func run(_ command: RemoteCommand, stdinPath: String, timeout: Duration) async throws -> ExecResult {
            try await run(command, stdin: Data("<file \(stdinPath)>".utf8), timeout: timeout)
        }
    }

    static let commands = EngineCommands(engine: "podman")
    static func ok(_ out: String = "") -> ExecResult { ExecResult(exitStatus: 0, stdout: Data(out.utf8), stderr: Data()) }
    static func fail(_ err: String = "") -> ExecResult { ExecResult(exitStatus: 1, stdout: Data(), stderr: Data(err.utf8)) }

    /// Caddy's counters with both slots usable and nothing in flight.
    static let settledUpstreams = #"[{"address":"127.0.0.1:18080","num_requests":0,"fails":0},{"address":"127.0.0.1:18081","num_requests":0,"fails":0},"#
        + #"{"address":"127.0.0.1:18180","num_requests":0,"fails":0},{"address":"127.0.0.1:18181","num_requests":0,"fails":0}]"#

    /// A host; `serving` is the describe answer (nil: no container), `healthy` the health answer,
    /// `snippet` what /etc/caddy/mai-agent.caddy holds (nil: no file); `override` answers first.
    static func host(serving: String?, hasImage: Bool, healthy: Bool, snippet: String? = ProxyConfig.snippet(),
                     override: @escaping @Sendable (RemoteCommand) -> ExecResult? = { _ in nil }) -> ScriptedHost {
        ScriptedHost { command in
            if let answer = override(command) { return answer }
            let argv = command.argv
            switch command {
            case commands.prepareHost(), commands.appendAudit(), commands.reloadProxy(): return ok()
            case .cat(path: "/etc/caddy/mai-agent.caddy"): return snippet.map { ok($0) } ?? fail("cat: /etc/caddy/mai-agent.caddy: No such file or directory")
            case commands.proxyUpstreams(): return ok(settledUpstreams)
            case commands.describe(name: "mai-agent"): return serving.map { ok($0 + "\n") } ?? fail("no such container")
            case commands.imageExists("localhost/mai-agent:v2"): return hasImage ? ok("sha256:1") : fail()
            case commands.load(): return ok("Loaded image: localhost/mai-agent:v2")
            case commands.healthcheck(name: "mai-agent-next"): return healthy ? ok("healthy") : fail("unhealthy")
            case commands.listImages(repository: "localhost/mai-agent"): return ok("t\tlocalhost/mai-agent:v2\nt\tlocalhost/mai-agent:v0\n")
            case commands.removeImage("localhost/mai-agent:v0"): return ok()
            case commands.prunePreDeployBackups(): return ok()
            default: break
            }
            if argv.first == "sh", argv.contains("maictl-write") || argv.contains("maictl-stop") { return ok() }
            if argv.starts(with: ["podman", "run"]) || argv.starts(with: ["podman", "rename"]) { return ok("id") }
            if argv.starts(with: ["podman", "exec", "mai-agent", "/usr/local/bin/mai-agent", "backup"]) { return ok("backup /data/backups/x.db 1 bytes sha256:00") }
            if argv.starts(with: ["podman", "logs"]) { return ok("mai-agent: invalid configuration: DEFAULT_USER_ROLE cannot be admin") }
            return nil
        }
    }

    /// Commands that change a container (start, rename, stop), in order.
    static func containerChanges(_ host: ScriptedHost) -> [RemoteCommand] {
        host.log.map(\.0).filter { $0.argv.starts(with: ["podman", "run"]) || $0.argv.starts(with: ["podman", "rename"]) || $0.argv.contains("maictl-stop") }
    }

    func request() throws -> DeployRequest {
        let fleet = try TemporaryFleet()
        let instance = try #require(try FleetLoader(directory: fleet.root).load().instances.first)
        return DeployRequest(instance: instance, version: "v2", image: "localhost/mai-agent:v2",
                             environment: AgentEnvironment(instance: instance, fleetToken: Secret("fleet-token-value"), openRouterKey: nil),
                             imageArchive: "/tmp/v2.tar", healthTimeout: .seconds(1), keepImages: 2, actor: "ops")
    }

    let deployer = InstanceDeployer(commands: Self.commands, audit: { entry, host in
        _ = try? await host.run(Self.commands.appendAudit(), stdin: Data(entry.line.utf8), timeout: .seconds(5))
    }, progress: { _ in }, drain: .zero, switchTimeout: .seconds(120), pollInterval: .milliseconds(10), minimumSwitchWait: .zero)
    /// For the test that waits the switch timeout out (a busy machine never ends the others' waits early).
    let impatient = InstanceDeployer(commands: Self.commands, audit: { _, _ in }, progress: { _ in }, drain: .zero,
                                     switchTimeout: .milliseconds(300), pollInterval: .milliseconds(10), minimumSwitchWait: .zero)

    @Test func firstDeployWritesTheTwoSlotSnippetOnceAndStartsSlotAWithoutABackup() async throws {
        let host = Self.host(serving: nil, hasImage: false, healthy: true, snippet: nil)
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .deployed && outcome.serving == "v2", "\(outcome.detail)")
        let mutating = host.log.map(\.0).filter { $0 != Self.commands.appendAudit() }
        let run = Self.commands.run(name: "mai-agent-next", image: "localhost/mai-agent:v2", version: "v2", slot: .a, instance: "acme")
        #expect(mutating.contains(run))
        #expect(!mutating.contains { $0.argv.contains("backup") }, "no agent served yet: nothing to back up")
        #expect(host.log.contains { $0.0 == Self.commands.load() && $0.1 == "<file /tmp/v2.tar>" })
        let env = try #require(host.log.first { $0.0 == .writeFile(path: "/srv/mai/env", mode: 0o600) })
        #expect(env.1.contains("MAI_FLEET_TOKEN=fleet-token-value"))
        let caddy = try #require(host.log.first { $0.0 == .writeFile(path: "/etc/caddy/mai-agent.caddy", mode: 0o644) })
        #expect(caddy.1 == ProxyConfig.snippet())
        // The snippet (and the one reload) comes before anything else changes.
        let order = [.writeFile(path: "/etc/caddy/mai-agent.caddy", mode: 0o644), Self.commands.reloadProxy(), run,
                     Self.commands.healthcheck(name: "mai-agent-next"), Self.commands.rename("mai-agent-next", to: "mai-agent")]
        let positions = order.map { step in mutating.firstIndex(of: step) ?? -1 }
        #expect(positions == positions.sorted() && !positions.contains(-1), "\(positions)")
        #expect(!host.log.contains { $0.1.contains("fleet-token-value") && $0.0 == Self.commands.appendAudit() }, "secrets never reach the audit log")
    }

    @Test func upgradeBacksUpStartsTheOtherSlotWaitsForCaddyAndRetiresTheOldContainerWithoutAReload() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: true, healthy: true)
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .deployed && outcome.from == "v1" && outcome.serving == "v2", "\(outcome.detail)")
        let steps = host.log.map(\.0)
        let backup = try #require(steps.firstIndex { $0.argv.contains("backup") })
        let start = try #require(steps.firstIndex { $0.argv.starts(with: ["podman", "run"]) })
        #expect(backup < start, "the backup is taken before anything changes")
        #expect(steps[start].argv.contains("PORT=18081"), "the new version starts beside the old one, in slot b")
        #expect(!steps.contains(Self.commands.load()), "the image was already there")
        #expect(!steps.contains(Self.commands.reloadProxy()), "the snippet already lists both slots: Caddy is not reloaded")
        #expect(!steps.contains(.writeFile(path: "/etc/caddy/mai-agent.caddy", mode: 0o644)))
        let readings = steps.indices.filter { steps[$0] == Self.commands.proxyUpstreams() }
        #expect(readings.count == 3, "three settled readings of Caddy's counters in a row")
        let renameOld = try #require(steps.firstIndex(of: Self.commands.rename("mai-agent", to: "mai-agent-prev")))
        let renameNew = try #require(steps.firstIndex(of: Self.commands.rename("mai-agent-next", to: "mai-agent")))
        #expect(readings.allSatisfy { $0 > start && $0 < renameOld } && renameOld < renameNew)
        #expect(steps.suffix(from: renameNew).contains(Self.commands.stopAndRemove(name: "mai-agent-prev", grace: 30)))
        #expect(steps.contains(Self.commands.removeImage("localhost/mai-agent:v0")), "images beyond --keep-images are pruned")
    }

    /// New version in slot a (Caddy's preferred slot): the old one keeps running until Caddy has
    /// stopped failing slot a and nothing is in flight on slot b any more.
    @Test func theOldSlotIsStoppedOnlyOnceCaddyUsesTheNewOneAndNothingIsInFlightOnTheOld() async throws {
        let readings = Counter()
        let host = Self.host(serving: "b v1 true", hasImage: true, healthy: true) { command in
            guard command == Self.commands.proxyUpstreams() else { return nil }
            switch readings.next() {
            case 1: return Self.ok(#"[{"address":"127.0.0.1:18080","num_requests":0,"fails":1},{"address":"127.0.0.1:18081","num_requests":1,"fails":0},{"address":"127.0.0.1:18180","num_requests":0,"fails":0},{"address":"127.0.0.1:18181","num_requests":0,"fails":0}]"#)
            case 2: return Self.ok(#"[{"address":"127.0.0.1:18080","num_requests":0,"fails":0},{"address":"127.0.0.1:18081","num_requests":1,"fails":0},{"address":"127.0.0.1:18180","num_requests":0,"fails":0},{"address":"127.0.0.1:18181","num_requests":0,"fails":0}]"#)
            default: return Self.ok(Self.settledUpstreams)
            }
        }
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .deployed, "\(outcome.detail)")
        let steps = host.log.map(\.0)
        #expect(steps.filter { $0 == Self.commands.proxyUpstreams() }.count == 5, "two unsettled readings, then three settled ones")
        #expect(steps.contains { $0.argv.starts(with: ["podman", "run"]) && $0.argv.contains("PORT=18080") })
        let audit = host.log.filter { $0.0 == Self.commands.appendAudit() }.map(\.1)
        #expect(audit.contains { $0.contains(#""action":"switch""#) && $0.contains("old slot b drained; 5 readings") }, "\(audit)")
    }

    /// Caddy keeps failing the new slot: the old container is never touched.
    @Test func aNewSlotCaddyCannotUseIsStoppedAndTheOldOneKeepsServing() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: true, healthy: true) { command in
            command == Self.commands.proxyUpstreams()
                ? Self.ok(#"[{"address":"127.0.0.1:18080","num_requests":3,"fails":0},{"address":"127.0.0.1:18081","num_requests":0,"fails":2},{"address":"127.0.0.1:18180","num_requests":0,"fails":0},{"address":"127.0.0.1:18181","num_requests":0,"fails":0}]"#)
                : nil
        }
        let outcome = await impatient.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed && outcome.serving == "v1")
        #expect(outcome.detail.hasPrefix("Caddy cannot use v2 in slot b (its requests to it failed 2 time(s) within 2s, still ") && outcome.detail.hasSuffix("stopped it, v1 keeps serving"),
                "\(outcome.detail)")
        #expect(Self.containerChanges(host).last == Self.commands.stopAndRemove(name: "mai-agent-next", grace: 5))
        #expect(!Self.containerChanges(host).contains { $0.argv.starts(with: ["podman", "rename"]) })
    }

    /// A host whose Caddyfile does not import the snippet: Caddy has no upstream for the slots.
    @Test func aCaddyThatDoesNotProxyToTheSlotsIsNamedAndNothingIsSwitched() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: true, healthy: true) { command in
            command == Self.commands.proxyUpstreams() ? Self.ok(#"[{"address":"127.0.0.1:8080","num_requests":0,"fails":0}]"#) : nil
        }
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed)
        #expect(outcome.detail.contains("Caddy has no upstream 127.0.0.1:18081: does /etc/caddy/Caddyfile import /etc/caddy/mai-agent.caddy?"), "\(outcome.detail)")
        #expect(!Self.containerChanges(host).contains { $0.argv.starts(with: ["podman", "rename"]) })
    }

    @Test func aFailedCaddyReloadPutsThePreviousSnippetBackAndChangesNothingElse() async throws {
        let previous = "(mai_agent) {\n\treverse_proxy 127.0.0.1:18080\n}\n"
        let host = Self.host(serving: "a v1 true", hasImage: true, healthy: true, snippet: previous) { command in
            command == Self.commands.reloadProxy()
                ? ExecResult(exitStatus: 1, stdout: Data(), stderr: Data("Error: loading new config: http app module: start: listening on :443: bind: address already in use".utf8))
                : nil
        }
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed && outcome.serving == "v1")
        #expect(outcome.detail == "caddy reload failed (exit 1): Error: loading new config: http app module: start: listening on :443: bind: address already in use; "
                + "put the previous /etc/caddy/mai-agent.caddy back, Caddy keeps its previous config; v1 keeps serving", "\(outcome.detail)")
        let writes = host.log.filter { $0.0 == .writeFile(path: "/etc/caddy/mai-agent.caddy", mode: 0o644) }.map(\.1)
        #expect(writes == [ProxyConfig.snippet(), previous], "the two-slot snippet, then the previous one back")
        #expect(Self.containerChanges(host).isEmpty, "no container was started, renamed or stopped")
        #expect(!host.log.contains { $0.0.argv.contains("backup") })
        let audit = host.log.filter { $0.0 == Self.commands.appendAudit() }.map(\.1)
        #expect(audit.contains { $0.contains(#""action":"proxy""#) && $0.contains(#""outcome":"failed""#) })
    }

    @Test func aFailedBackupStopsBeforeTheServingContainerIsTouched() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: false, healthy: true) { command in
            command.argv.contains("backup") ? ExecResult(exitStatus: 1, stdout: Data(), stderr: Data("mai-agent: backup: database is locked".utf8)) : nil
        }
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed && outcome.serving == "v1")
        #expect(outcome.detail == "the pre-deploy backup failed (exit 1): mai-agent: backup: database is locked; v1 keeps serving", "\(outcome.detail)")
        #expect(Self.containerChanges(host).isEmpty)
        #expect(!host.log.contains { $0.0 == Self.commands.load() }, "no image was loaded either")
        #expect(!host.log.contains { $0.0 == .writeFile(path: "/srv/mai/env", mode: 0o600) }, "the env file the old container reads is untouched")
    }

    @Test func aFailedImageLoadStopsBeforeTheServingContainerIsTouched() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: false, healthy: true) { command in
            command == Self.commands.load() ? ExecResult(exitStatus: 125, stdout: Data(), stderr: Data("Error: payload does not match any of the supported image formats".utf8)) : nil
        }
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed)
        #expect(outcome.detail == "podman load failed (exit 125): Error: payload does not match any of the supported image formats; v1 keeps serving", "\(outcome.detail)")
        #expect(Self.containerChanges(host).isEmpty)
        #expect(!host.log.contains { $0.0 == .writeFile(path: "/srv/mai/env", mode: 0o600) })
    }

    /// The switch happened (slot a, which Caddy prefers, serves v2), then the old container would
    /// not stop: the outcome says so, names what serves and how to clean up.
    @Test func aFailedStopOfTheOldContainerAfterTheSwitchIsReportedWithWhatServes() async throws {
        let host = Self.host(serving: "b v1 true", hasImage: true, healthy: true) { command in
            switch command {
            case Self.commands.stopAndRemove(name: "mai-agent-prev", grace: 30):
                return ExecResult(exitStatus: 125, stdout: Data(), stderr: Data("Error: given PID did not die within timeout".utf8))
            case Self.commands.describe(name: "mai-agent-prev"): return Self.ok("b v1 true\n")
            default: return nil
            }
        }
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed && outcome.serving == "v2", "\(outcome.detail)")
        #expect(outcome.detail == "switched to v2, but stopping v1 failed (exit 125): Error: given PID did not die within timeout; "
                + "v2 serves (slot a), v1 is still running as mai-agent-prev. Remove it on the host: podman rm -f mai-agent-prev", "\(outcome.detail)")
        #expect(Self.containerChanges(host).contains(Self.commands.rename("mai-agent-next", to: "mai-agent")))
    }

    /// The same with the old container in slot a: Caddy still prefers it, so it still answers.
    @Test func anOldContainerThatKeepsRunningInThePreferredSlotIsReportedAsStillServing() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: true, healthy: true) { command in
            switch command {
            case Self.commands.stopAndRemove(name: "mai-agent-prev", grace: 30):
                return ExecResult(exitStatus: 125, stdout: Data(), stderr: Data("Error: given PID did not die within timeout".utf8))
            case Self.commands.describe(name: "mai-agent-prev"): return Self.ok("a v1 true\n")
            default: return nil
            }
        }
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed && outcome.serving == "v1")
        #expect(outcome.detail.contains("v1 is still running in slot a, which Caddy prefers, so it still answers; v2 waits in slot b"), "\(outcome.detail)")
    }

    @Test func anUnhealthyVersionIsStoppedAndTheOldOneKeepsServing() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: true, healthy: false)
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .failed)
        #expect(outcome.detail.contains("did not become healthy") && outcome.detail.contains("v1 keeps serving"), "\(outcome.detail)")
        #expect(outcome.detail.contains("DEFAULT_USER_ROLE"), "the new container's last log lines are reported")
        let steps = host.log.map(\.0)
        #expect(steps.last { $0 != Self.commands.appendAudit() } == Self.commands.stopAndRemove(name: "mai-agent-next", grace: 5))
        #expect(!steps.contains(Self.commands.reloadProxy()), "Caddy still points at the old container")
        #expect(!steps.contains { $0.argv.starts(with: ["podman", "rename"]) })
        #expect(!steps.contains { $0.argv.contains("maictl-stop") && $0.argv.contains("mai-agent") })
        #expect(!steps.contains { $0.argv.starts(with: ["podman", "rmi"]) })
    }

    @Test func theServingVersionIsLeftAlone() async throws {
        let host = Self.host(serving: "b v2 true", hasImage: true, healthy: true)
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .unchanged)
        #expect(host.log.map(\.0) == [Self.commands.prepareHost(), Self.commands.describe(name: "mai-agent")])
    }

    /// `deploy --force`: the same version again, in the other slot, with the new env file — how a
    /// changed setting, key or token reaches a host without a new version.
    @Test func forceRedeploysTheServingVersionWithTheNewSettings() async throws {
        let host = Self.host(serving: "b v2 true", hasImage: true, healthy: true)
        var forced = try request()
        forced.force = true
        let outcome = await deployer.deploy(forced, on: host, ledger: DeployLedger())
        #expect(outcome.result == .deployed && outcome.from == "v2" && outcome.serving == "v2", "\(outcome.detail)")
        let steps = host.log.map(\.0)
        let start = try #require(steps.first { $0.argv.starts(with: ["podman", "run"]) }, "\(steps)")
        #expect(start.argv.contains("PORT=18080"), "the other slot (a), beside the serving b")
        #expect(host.log.contains { $0.0 == .writeFile(path: "/srv/mai/env", mode: 0o600) && $0.1.contains("MAI_FLEET_TOKEN=fleet-token-value") })
        #expect(steps.contains(Self.commands.stopAndRemove(name: "mai-agent-prev", grace: 30)))
    }

    /// After a deploy, the newest five pre-deploy backups stay on the host; older ones and other
    /// files are left as they were — run by a real shell on a real directory.
    @Test func theNewestFivePreDeployBackupsStayOnTheHost() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("prune-\(UUID().uuidString)").path
        var layout = HostLayout()
        layout.root = root
        try FileManager.default.createDirectory(atPath: layout.backupDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var names: [String] = []
        for index in 0..<8 {
            let name = "pre-deploy-v\(index)-2026010\(index)T000000Z.db"
            names.append(name)
            let path = layout.backupDirectory + "/" + name
            try Data("db".utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_767_000_000 + Double(index) * 60)], ofItemAtPath: path)
        }
        try Data("mine".utf8).write(to: URL(fileURLWithPath: layout.backupDirectory + "/operator-copy.db"))
        let command = EngineCommands(engine: "podman", layout: layout).prunePreDeployBackups()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command.argv
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: layout.backupDirectory).sorted()
        #expect(left == (Array(names.suffix(5)) + ["operator-copy.db"]).sorted(), "\(left)")
        #expect(printed.split(separator: "\n").map(String.init).sorted() == Array(names.prefix(3)), "\(printed)")
    }

    @Test func dryRunPrintsEveryCommandAndRunsNothing() async throws {
        let lines = LinesBox()
        let runner = DryRunRunner(label: "acme", print: { lines.append($0) })
        let outcome = await deployer.deploy(try request(), on: runner, ledger: DeployLedger())
        #expect(outcome.result == .deployed)
        let text = lines.all.joined(separator: "\n")
        #expect(text.contains("[dry-run] acme: podman run --detach --name mai-agent-next"))
        #expect(text.contains("[dry-run] acme: caddy reload --config /etc/caddy/Caddyfile --adapter caddyfile"))
        #expect(text.contains("podman load < /tmp/v2.tar"))
        #expect(!text.contains("fleet-token-value"), "stdin is summarised, never printed")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func next() -> Int { lock.withLock { count += 1; return count } }
    }

    final class LinesBox: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }
}
