import Foundation
import Testing
@testable import MaiFleet

extension Tag {
    /// Needs root and real processes: the test fleet (network namespaces, sshd, mai-agent).
    @Tag static var integration: Self
}

/// The running test fleet, as `scripts/testfleet` describes it in `hosts.json`.
struct IntegrationTestFleet: Sendable, Decodable {
    struct Host: Sendable, Decodable {
        let serverId: String
        let name: String
        let index: Int
        let ip: String
        let sshPort: Int
        let user: String
        let hostKey: String
        let tokenFile: String
        let adminPort: Int
        let publicPort: Int
        let netns: String

        var target: SSHTarget { SSHTarget(serverID: serverId, host: ip, port: sshPort, user: user) }
        var pinnedKey: HostKey { HostKey(openSSHLine: hostKey)! }
    }

    let dir: String
    let clientKey: String
    let simUrl: String
    let hosts: [Host]

    /// The fleet the suite runs against (set by `IntegrationTestFleet.Scope`).
    @TaskLocal static var current: IntegrationTestFleet?

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Whether integration tests run: when a fleet is given (`TESTFLEET_HOSTS_JSON`) or asked for
    /// (`MAI_INTEGRATION=1`, the suite brings one up itself). Asked for without root, they fail
    /// loudly rather than skip.
    static var enabled: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["TESTFLEET_HOSTS_JSON"] != nil || environment["MAI_INTEGRATION"] == "1"
    }

    struct NeedsRoot: Error, CustomStringConvertible {
        var description: String { "the integration tests need root (network namespaces, sshd): run them with sudo, or unset MAI_INTEGRATION" }
    }

    static func load(_ path: String) throws -> IntegrationTestFleet {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(IntegrationTestFleet.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The fleet as it is now (hosts.json is rewritten when a host is re-keyed).
    func reloaded() throws -> IntegrationTestFleet { try Self.load(dir + "/hosts.json") }

    func host(_ index: Int) throws -> Host {
        try #require(try reloaded().hosts.first { $0.index == index })
    }

    func token(_ host: Host) throws -> String {
        try String(contentsOfFile: host.tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `scripts/testfleet` against this fleet's directory.
    func script(_ arguments: String...) throws {
        try Self.runScript(arguments, directory: dir)
    }

    /// Runs the script with posix_spawn + waitpid: Foundation's `Process.waitUntilExit` was seen
    /// never returning here once the script had left daemons running (the child stayed a zombie).
    @discardableResult
    static func runScript(_ arguments: [String], directory: String) throws -> String {
        let script = repositoryRoot.appendingPathComponent("scripts/testfleet").path
        let log = directory + ".script.log"
        var environment = ProcessInfo.processInfo.environment
        environment["TESTFLEET_DIR"] = directory
        let status = try spawnAndWait([script] + arguments, environment: environment, outputFile: log)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        unlink(log)
        guard status == 0 else { throw ScriptFailed(arguments: arguments, status: status, output: text) }
        return text
    }

    /// Runs `argv` with stdout and stderr written to `outputFile`, stdin from /dev/null; returns its exit status.
    static func spawnAndWait(_ argv: [String], environment: [String: String], outputFile: String = "/dev/null") throws -> Int32 {
        waitForExit(try spawn(argv, environment: environment, outputFile: outputFile))
    }

    /// Starts `argv` (an absolute path first) and returns its pid.
    static func spawn(_ argv: [String], environment: [String: String], outputFile: String = "/dev/null") throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        // A clean signal mask and default handlers: dispatch's worker threads block signals, and a
        // child inheriting that mask would ignore the SIGTERM that `down` sends its daemons.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard spawned == 0 else { throw ScriptFailed(arguments: argv, status: -1, output: String(cString: strerror(spawned))) }
        return pid
    }

    /// Waits for `pid` and returns its exit status (128 + signal when killed).
    static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS by hand (the macros are not imported).
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        let output: String
        var description: String { "scripts/testfleet \(arguments.joined(separator: " ")) exited \(status):\n\(output)" }
    }

    /// Brings a 3-host fleet up around the whole suite and always takes it down — unless the
    /// Makefile already did (`TESTFLEET_HOSTS_JSON`), in which case that fleet is used as is.
    struct Scope: SuiteTrait, TestScoping {
        /// How many hosts to bring up.
        var hosts = 3
        var isRecursive: Bool { false }

        func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
            if let path = ProcessInfo.processInfo.environment["TESTFLEET_HOSTS_JSON"] {
                try await IntegrationTestFleet.$current.withValue(try IntegrationTestFleet.load(path)) { try await function() }
                return
            }
            guard getuid() == 0 else { throw NeedsRoot() }
            // One fleet per machine (fixed link and namespace names): suites take turns.
            await FleetTurn.shared.acquire()
            defer { Task { await FleetTurn.shared.release() } }
            let directory = "/tmp/maitestfleet-swift-\(getpid())"
            defer { _ = try? IntegrationTestFleet.runScript(["down"], directory: directory) }
            try IntegrationTestFleet.runScript(["up", String(hosts), "--sim-port", "19091"], directory: directory)
            let fleet = try IntegrationTestFleet.load(directory + "/hosts.json")
            try await IntegrationTestFleet.$current.withValue(fleet) { try await function() }
        }
    }
}

extension IntegrationTestFleet {
    /// Renders, with the production renderer (`CloudInit`), the user data a real server would get
    /// for each of the `count` hosts `scripts/testfleet up --engine podman` makes — the client as
    /// `MaictlWorkspace` names it (`maitf-hI`, `hI.test.example`) and a fresh host key — into
    /// `directory/hI.yaml`. The one difference from production is Caddy's site address: the host's
    /// `http://198.51.100.(10+I):8080` (testfleet's addresses; no DNS or ACME on the test rig).
    static func renderUserData(hosts count: Int, into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var defaults = FleetDefaults()
        defaults.hetzner.sshKeys = ["operator"]
        defaults.agent.version = "0.1.0"
        for index in 1...count {
            let client = ClientSpec(slug: "maitf-h\(index)", name: "Test h\(index)", domain: "h\(index).test.example",
                                    adminEmail: "admin@h\(index).test.example")
            let text = try CloudInit().userData(for: Instance(client: client, defaults: defaults), operatorEmail: "ops@example.com",
                                                hostKey: GeneratedHostKey(comment: "maictl-maitf-h\(index)"),
                                                siteAddress: "http://198.51.100.\(10 + index):8080")
            try text.write(toFile: directory + "/h\(index).yaml", atomically: true, encoding: .utf8)
        }
    }
}

/// A first-come, first-served turn at the test fleet.
actor FleetTurn {
    static let shared = FleetTurn()
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}

extension Trait where Self == IntegrationTestFleet.Scope {
    /// Runs the suite against a live test fleet.
    static var testFleet: Self { Self() }

    /// Runs the suite against a live test fleet of `hosts` hosts.
    static func testFleet(hosts: Int) -> Self { Self(hosts: hosts) }
}
