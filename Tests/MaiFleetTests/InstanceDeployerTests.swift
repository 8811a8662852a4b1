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

    /// A host; `serving` is the describe answer (nil: no container), `healthy` the health answer.
    static func host(serving: String?, hasImage: Bool, healthy: Bool) -> ScriptedHost {
        ScriptedHost { command in
            let argv = command.argv
            switch command {
            case commands.prepareHost(), commands.appendAudit(), commands.reloadProxy(): return ok()
            case commands.describe(name: "mai-agent"): return serving.map { ok($0 + "\n") } ?? fail("no such container")
            case commands.imageExists("localhost/mai-agent:v2"): return hasImage ? ok("sha256:1") : fail()
            case commands.load(): return ok("Loaded image: localhost/mai-agent:v2")
            case commands.healthcheck(name: "mai-agent-next"): return healthy ? ok("healthy") : fail("unhealthy")
            case commands.listImages(repository: "localhost/mai-agent"): return ok("t\tlocalhost/mai-agent:v2\nt\tlocalhost/mai-agent:v0\n")
            case commands.removeImage("localhost/mai-agent:v0"): return ok()
            default: break
            }
            if argv.first == "sh", argv.contains("maictl-write") || argv.contains("maictl-stop") { return ok() }
            if argv.starts(with: ["podman", "run"]) || argv.starts(with: ["podman", "rename"]) { return ok("id") }
            if argv.starts(with: ["podman", "exec", "mai-agent", "/usr/local/bin/mai-agent", "backup"]) { return ok("backup /data/backups/x.db 1 bytes sha256:00") }
            if argv.starts(with: ["podman", "logs"]) { return ok("mai-agent: invalid configuration: DEFAULT_USER_ROLE cannot be admin") }
            return nil
        }
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
    }, progress: { _ in }, drain: .zero)

    @Test func firstDeployStartsSlotAAndSwitchesCaddyWithoutABackup() async throws {
        let host = Self.host(serving: nil, hasImage: false, healthy: true)
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .deployed, "\(outcome.detail)")
        let mutating = host.log.map(\.0).filter { $0 != Self.commands.appendAudit() }
        let run = Self.commands.run(name: "mai-agent-next", image: "localhost/mai-agent:v2", version: "v2", slot: .a, instance: "acme")
        #expect(mutating.contains(run))
        #expect(!mutating.contains { $0.argv.contains("backup") }, "no agent served yet: nothing to back up")
        #expect(host.log.contains { $0.0 == Self.commands.load() && $0.1 == "<file /tmp/v2.tar>" })
        let env = try #require(host.log.first { $0.0 == .writeFile(path: "/srv/mai/env", mode: 0o600) })
        #expect(env.1.contains("MAI_FLEET_TOKEN=fleet-token-value"))
        let caddy = try #require(host.log.first { $0.0 == .writeFile(path: "/etc/caddy/mai-agent.caddy", mode: 0o644) })
        #expect(caddy.1 == ProxyConfig.snippet(serving: .a))
        let order = [run, Self.commands.healthcheck(name: "mai-agent-next"), .writeFile(path: "/etc/caddy/mai-agent.caddy", mode: 0o644),
                     Self.commands.reloadProxy(), Self.commands.rename("mai-agent-next", to: "mai-agent")]
        let positions = order.map { step in mutating.firstIndex(of: step) ?? -1 }
        #expect(positions == positions.sorted() && !positions.contains(-1), "\(positions)")
        #expect(!host.log.contains { $0.1.contains("fleet-token-value") && $0.0 == Self.commands.appendAudit() }, "secrets never reach the audit log")
    }

    @Test func upgradeBacksUpStartsTheOtherSlotAndRetiresTheOldContainer() async throws {
        let host = Self.host(serving: "a v1 true", hasImage: true, healthy: true)
        let outcome = await deployer.deploy(try request(), on: host, ledger: DeployLedger())
        #expect(outcome.result == .deployed && outcome.from == "v1", "\(outcome.detail)")
        let steps = host.log.map(\.0)
        let backup = try #require(steps.firstIndex { $0.argv.contains("backup") })
        let start = try #require(steps.firstIndex { $0.argv.starts(with: ["podman", "run"]) })
        #expect(backup < start, "the backup is taken before anything changes")
        #expect(steps[start].argv.contains("PORT=18081"), "the new version starts beside the old one, in slot b")
        #expect(!steps.contains(Self.commands.load()), "the image was already there")
        let renameOld = try #require(steps.firstIndex(of: Self.commands.rename("mai-agent", to: "mai-agent-prev")))
        let renameNew = try #require(steps.firstIndex(of: Self.commands.rename("mai-agent-next", to: "mai-agent")))
        let reload = try #require(steps.firstIndex(of: Self.commands.reloadProxy()))
        #expect(reload < renameOld && renameOld < renameNew)
        #expect(steps.suffix(from: renameNew).contains(Self.commands.stopAndRemove(name: "mai-agent-prev", grace: 30)))
        #expect(steps.contains(Self.commands.removeImage("localhost/mai-agent:v0")), "images beyond --keep-images are pruned")
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

    final class LinesBox: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }
}
