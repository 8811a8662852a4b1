import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite("Deploy: engine, lock, env file and audit command builders")
struct DeployCommandBuilderTests {
    let podman = EngineCommands(engine: "podman")

    @Test func runStartsTheCandidateOnTheSlotsLoopbackPortsWithTheDataVolumeAndRestartPolicy() {
        let run = podman.run(name: "mai-agent-next", image: "localhost/mai-agent:v2", version: "v2", slot: .b, instance: "acme")
        #expect(run.argv == [
            "podman", "run", "--detach", "--name", "mai-agent-next", "--restart=always", "--network=host",
            "--label", "mai.version=v2", "--label", "mai.slot=b",
            "--volume", "/srv/mai/data:/data", "--env-file", "/srv/mai/env",
            "--env", "HOST=127.0.0.1", "--env", "PORT=18081", "--env", "ADMIN_BIND=127.0.0.1:18181", "--env", "MAI_INSTANCE=acme",
            "--stop-timeout", "30", "--health-interval=disable", "localhost/mai-agent:v2", "serve",
        ])
        let docker = EngineCommands(engine: "docker").run(name: "mai-agent-next", image: "x:1", version: "1", slot: .a, instance: "acme")
        #expect(!docker.argv.contains("--health-interval=disable"))
        #expect(docker.argv.contains("PORT=18080") && docker.argv.contains("ADMIN_BIND=127.0.0.1:18180"))
    }

    @Test func slotsAlternate() {
        #expect(Slot.a.other == .b && Slot.b.other == .a)
        #expect(Set(Slot.allCases.map(\.publicPort)).count == 2)
        #expect(Set(Slot.allCases.flatMap { [$0.publicPort, $0.adminPort] }).isDisjoint(with: [8080, 8081]))
    }

    @Test func containerAndImageCommands() {
        #expect(podman.describe(name: "mai-agent").argv == ["podman", "container", "inspect", "--format",
                                                             #"{{index .Config.Labels "mai.slot"}} {{index .Config.Labels "mai.version"}} {{.State.Running}}"#, "mai-agent"])
        #expect(podman.healthcheck(name: "mai-agent-next").argv == ["podman", "healthcheck", "run", "mai-agent-next"])
        #expect(EngineCommands(engine: "docker").healthcheck(name: "c").argv == ["docker", "exec", "c", "/usr/local/bin/mai-agent", "healthcheck"])
        #expect(podman.rename("mai-agent", to: "mai-agent-prev").argv == ["podman", "rename", "mai-agent", "mai-agent-prev"])
        #expect(podman.backup(container: "mai-agent", file: "pre-deploy-v2-20260102T030405Z.db").argv ==
                ["podman", "exec", "mai-agent", "/usr/local/bin/mai-agent", "backup", "--output", "/data/backups/pre-deploy-v2-20260102T030405Z.db"])
        #expect(EngineCommands.backupFileName(version: "v2", timestamp: "20260102T030405Z") == "pre-deploy-v2-20260102T030405Z.db")
        #expect(podman.imageExists("localhost/mai-agent:v2").argv == ["podman", "image", "inspect", "--format", "{{.Id}}", "localhost/mai-agent:v2"])
        #expect(podman.load().argv == ["podman", "load"])
        #expect(podman.pull("ghcr.io/acme/mai-agent:v2").argv == ["podman", "pull", "ghcr.io/acme/mai-agent:v2"])
        #expect(podman.removeImage("localhost/mai-agent:v1").argv == ["podman", "rmi", "localhost/mai-agent:v1"])
        #expect(podman.logs(follow: true, lines: 50, since: "10m").argv == ["podman", "logs", "--follow", "--tail", "50", "--since", "10m", "mai-agent"])
        #expect(podman.logs(follow: false, lines: nil, since: nil).argv == ["podman", "logs", "mai-agent"])
        #expect(podman.exec(["mai-agent", "version"]).argv == ["podman", "exec", "mai-agent", "mai-agent", "version"])
        #expect(podman.reloadProxy().argv == ["caddy", "reload", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"])
        let stop = podman.stopAndRemove(name: "mai-agent-prev", grace: 30)
        #expect(Array(stop.argv.suffix(4)) == ["maictl-stop", "podman", "mai-agent-prev", "30"])
    }

    @Test func imageReferencesGetLocalhostUnlessTheyNameARegistry() {
        #expect(EngineCommands.imageReference("mai-agent", version: "v1") == "localhost/mai-agent:v1")
        #expect(EngineCommands.imageReference("ghcr.io/acme/mai-agent", version: "1.2.0") == "ghcr.io/acme/mai-agent:1.2.0")
        #expect(EngineCommands.imageReference("registry:5000/mai-agent", version: "v1") == "registry:5000/mai-agent:v1")
        #expect(EngineCommands.imageReference("localhost/mai-agent", version: "v1") == "localhost/mai-agent:v1")
    }

    @Test func lockCommandsTakeTheLockWithMkdirAndReportTheHolder() {
        let acquire = podman.acquireLock()
        #expect(acquire.argv.first == "sh" && acquire.argv.last == "/srv/mai/deploy.lock")
        #expect(acquire.argv[2].contains(#"mkdir "$1""#) && acquire.argv[2].contains("exit 3"))
        #expect(podman.lockStatus().argv.last == "/srv/mai/deploy.lock")
        #expect(podman.releaseLock().argv.last == "/srv/mai/deploy.lock")
        #expect(podman.appendAudit().argv == ["sh", "-c", #"umask 077 && cat >> "$1""#, "maictl-audit", "/srv/mai/audit.log"])
    }

    /// The lock and audit scripts do what they say, run by a real shell on a scratch directory.
    @Test func lockScriptIsExclusiveAndNamesTheHolder() throws {
        var layout = HostLayout()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mai-lock-\(UUID().uuidString)").path
        layout.root = scratch + "/srv/mai"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let commands = EngineCommands(engine: "podman", layout: layout)
        let alice = LockHolder(holder: "alice@laptop (pid 1)", since: "2026-01-02T03:04:05Z", message: "deploy v2")
        #expect(try shell(commands.acquireLock(), stdin: alice.fileText).status == 0, "a fresh host has no /srv/mai yet")
        let mode = try FileManager.default.attributesOfItem(atPath: layout.root)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        let second = try shell(commands.acquireLock(), stdin: LockHolder(holder: "bob", since: "x", message: "").fileText)
        #expect(second.status == 3, "exit \(second.status): \(second.out)")
        #expect(LockHolder(fileText: second.out) == alice)
        #expect(LockHolder(fileText: try shell(commands.lockStatus()).out).description == "held by alice@laptop (pid 1) since 2026-01-02T03:04:05Z (deploy v2)")
        #expect(try shell(commands.releaseLock()).status == 0)
        #expect(try shell(commands.lockStatus()).status == 1)
        #expect(try shell(commands.releaseLock()).status == 0, "releasing a free lock is harmless")
        #expect(try shell(commands.acquireLock(), stdin: alice.fileText).status == 0)
    }

    @Test func lockInfoSurvivesNewlinesAndMissingFields() {
        let holder = LockHolder(holder: "a\nb", since: "t", message: "two\nlines")
        #expect(LockHolder(fileText: holder.fileText) == LockHolder(holder: "a b", since: "t", message: "two lines"))
        #expect(LockHolder(fileText: "garbage").holder == "unknown")
    }

    @Test func envFileHoldsSettingsAndSecretsButPrintsOnlyKeys() throws {
        let fleet = try TemporaryFleet()
        let instance = try #require(try FleetLoader(directory: fleet.root).load().instances.first)
        let environment = AgentEnvironment(instance: instance, fleetToken: Secret(String(repeating: "t", count: 64)),
                                           openRouterKey: Secret("sk-or-v1-secret"), openRouterBaseURL: "http://sim/api/v1")
        #expect(environment.fileText == """
            ENV=prod
            DATA_DIR=/data
            WEBUI_NAME=Acme GmbH
            WEBUI_URL=https://chat.acme.example
            MARKUP_RATE=1.3
            USAGE_SYNC_INTERVAL=900
            MAI_FLEET_TOKEN=\(String(repeating: "t", count: 64))
            ENABLE_SIGNUP=false
            OPENROUTER_API_KEY=sk-or-v1-secret
            OPENROUTER_BASE_URL=http://sim/api/v1

            """)
        #expect(environment.keys.joined(separator: ",") == "ENV,DATA_DIR,WEBUI_NAME,WEBUI_URL,MARKUP_RATE,USAGE_SYNC_INTERVAL,MAI_FLEET_TOKEN,ENABLE_SIGNUP,OPENROUTER_API_KEY,OPENROUTER_BASE_URL")
        let without = AgentEnvironment(instance: instance, fleetToken: Secret("x"), openRouterKey: nil)
        #expect(!without.fileText.contains("OPENROUTER"))
    }

    /// A deployed agent's sign-up is closed unless the client file opens it.
    @Test func signUpIsClosedUnlessTheClientFileOpensIt() throws {
        let closed = try TemporaryFleet()
        defer { closed.remove() }
        let instance = try #require(try FleetLoader(directory: closed.root).load().instances.first)
        #expect(!instance.openSignup)
        #expect(AgentEnvironment(instance: instance, fleetToken: Secret("x"), openRouterKey: nil).fileText.contains("\nENABLE_SIGNUP=false\n"))
        let open = try TemporaryFleet(clients: ["acme": """
            name = "Acme GmbH"
            domain = "chat.acme.example"
            admin_email = "admin@acme.example"
            open_signup = true
            """])
        defer { open.remove() }
        let opened = try #require(try FleetLoader(directory: open.root).load().instances.first)
        #expect(AgentEnvironment(instance: opened, fleetToken: Secret("x"), openRouterKey: nil).fileText.contains("\nENABLE_SIGNUP=true\n"))
    }

    /// A client's private provider addresses reach its agent; a malformed list is a fleet-file problem.
    @Test func privateProviderAddressesComeFromTheClientFile() throws {
        let fleet = try TemporaryFleet(clients: ["acme": TemporaryFleet.client() + "allow_private_provider_urls = \"Ollama.Internal, 10.0.0.5,192.168.1.0/24\"\n"])
        defer { fleet.remove() }
        let instance = try #require(try fleet.loader.load().instances.first)
        #expect(AgentEnvironment(instance: instance, fleetToken: Secret("x"), openRouterKey: nil).fileText
            .contains("\nALLOW_PRIVATE_PROVIDER_URLS=ollama.internal,10.0.0.5,192.168.1.0/24\n"))
        let none = try TemporaryFleet()
        defer { none.remove() }
        let plain = try #require(try none.loader.load().instances.first)
        #expect(!AgentEnvironment(instance: plain, fleetToken: Secret("x"), openRouterKey: nil).fileText.contains("ALLOW_PRIVATE"))
        for bad in ["10.0.0.0/99", "evil host", "a;b", "http://x"] {
            let broken = try TemporaryFleet(clients: ["acme": TemporaryFleet.client() + "allow_private_provider_urls = \"\(bad)\"\n"])
            defer { broken.remove() }
            #expect(broken.problems().contains { $0.contains("allow_private_provider_urls") }, "\(bad): \(broken.problems())")
        }
    }

    /// The first admin: the password travels on standard input only, and the agent's refusal is shown.
    @Test func theFirstAdminsPasswordTravelsOnStandardInputOnly() async throws {
        let admin = FirstAdmin(email: "it@acme.example", name: "Ada Admin")
        let password = FirstAdmin.generatePassword()
        #expect(password.count == 24 && password.allSatisfy { $0.isLetter || $0.isNumber }, "\(password)")
        #expect(Set((0..<50).map { _ in FirstAdmin.generatePassword() }).count == 50)
        #expect(admin.command.argv == ["podman", "exec", "--interactive", "mai-agent", "/usr/local/bin/mai-agent", "user", "create", "--admin",
                                       "--email", "it@acme.example", "--name", "Ada Admin", "--password-stdin"])
        let sent = Calls()
        let said = try await admin.create(slug: "acme", password: password) { command, stdin in
            sent.append(command, stdin)
            return ExecResult(exitStatus: 0, stdout: Data("Created admin account it@acme.example (id x).\n".utf8), stderr: Data())
        }
        #expect(said == "Created admin account it@acme.example (id x).")
        let calls = sent.all
        #expect(calls.count == 1 && calls.first?.1 == Data((password + "\n").utf8))
        #expect(calls.allSatisfy { !$0.0.argv.joined(separator: " ").contains(password) })

        let taken = await #expect(throws: FirstAdmin.Failure.self) {
            _ = try await admin.create(slug: "acme", password: password) { _, _ in
                ExecResult(exitStatus: 1, stdout: Data(), stderr: Data("mai-agent: An account with this e-mail already exists.\n".utf8))
            }
        }
        #expect(taken == .refused(detail: "An account with this e-mail already exists."), "\(String(describing: taken))")
        let missing = await #expect(throws: FirstAdmin.Failure.self) {
            _ = try await admin.create(slug: "acme", password: password) { _, _ in
                ExecResult(exitStatus: 125, stdout: Data(), stderr: Data("Error: no container with name or ID \"mai-agent\" found: no such container\n".utf8))
            }
        }
        #expect(missing == .notDeployed(slug: "acme"))
        #expect(missing?.description.contains("maictl deploy acme") == true)
    }

    @Test func auditLinesAreOneSortedJSONObject() throws {
        let entry = AuditEntry(time: "2026-01-02T03:04:05Z", actor: "ops@m", instance: "acme", action: "switch",
                               version: "v2", outcome: "ok", detail: "caddy → slot b\nsecond line")
        #expect(entry.line == #"{"action":"switch","actor":"ops@m","detail":"caddy → slot b\nsecond line","instance":"acme","outcome":"ok","time":"2026-01-02T03:04:05Z","version":"v2"}"# + "\n")
        #expect(AuditEntry.compactTimestamp(Date(timeIntervalSince1970: 1_767_323_045)) == "20260102T030405Z")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mai-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = LocalAuditLog(stateDirectory: directory)
        log.append(entry)
        log.append(entry)
        #expect(log.entries() == [entry, entry])
        let mode = try FileManager.default.attributesOfItem(atPath: log.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func proxySnippetListsBothSlotsForTheSiteAndTheAdminAPI() {
        let snippet = ProxyConfig.snippet()
        #expect(snippet.contains("(mai_agent) {\n\treverse_proxy 127.0.0.1:18080 127.0.0.1:18081 {\n\t\tlb_policy first\n"))
        #expect(snippet.contains("http://127.0.0.1:8081 {\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:18180 127.0.0.1:18181 {"))
        #expect(snippet.components(separatedBy: "fail_duration 2s").count == 3, "passive health on both sites")
        #expect(snippet.components(separatedBy: "keepalive off").count == 3)
        #expect(snippet.components(separatedBy: "health_uri /health").count == 2, "active health on the public site only")
    }

    @Test func caddysUpstreamCountersDecideWhenTheOldSlotMayStop() throws {
        let json = #"[{"address":"127.0.0.1:18080","num_requests":0,"fails":1},{"address":"127.0.0.1:18081","num_requests":2,"fails":0},"#
            + #"{"address":"127.0.0.1:18180","num_requests":0,"fails":0},{"address":"127.0.0.1:18181","num_requests":0,"fails":0}]"#
        let upstreams = try #require(ProxyConfig.upstreams(json))
        #expect(upstreams.count == 4 && upstreams[1] == .init(address: "127.0.0.1:18081", numRequests: 2, fails: 0))
        // New in slot a, which Caddy prefers: first its recent failure must expire, then b must drain.
        #expect(ProxyConfig.switchState(upstreams, new: .a, old: .b) == .newFailing(fails: 1))
        var settled = upstreams
        settled[0].fails = 0
        #expect(ProxyConfig.switchState(settled, new: .a, old: .b) == .draining(inFlight: 2))
        settled[1].numRequests = 0
        #expect(ProxyConfig.switchState(settled, new: .a, old: .b) == .ready)
        // New in slot b: Caddy keeps slot a until the old container stops; b only has to be usable.
        #expect(ProxyConfig.switchState(upstreams, new: .b, old: .a) == .ready)
        // A Caddyfile that does not import the snippet has no such upstreams.
        #expect(ProxyConfig.switchState([.init(address: "127.0.0.1:8080", numRequests: 0, fails: 0)], new: .b, old: .a)
                == .notProxied("127.0.0.1:18081"))
        #expect(ProxyConfig.upstreams("<html>") == nil)
        #expect(EngineCommands().proxyUpstreams().argv == ["curl", "-fsS", "--max-time", "5", "http://localhost:2019/reverse_proxy/upstreams"])
    }

    func shell(_ command: RemoteCommand, stdin: String = "") throws -> (status: Int32, out: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command.commandLine]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// What a scripted host was asked to run, with its standard input.
final class Calls: @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [(RemoteCommand, Data)] = []
    func append(_ command: RemoteCommand, _ stdin: Data) { lock.withLock { calls.append((command, stdin)) } }
    var all: [(RemoteCommand, Data)] { lock.withLock { calls } }
}
