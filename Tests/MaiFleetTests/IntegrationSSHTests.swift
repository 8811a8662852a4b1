import Foundation
import MaiCore
import Testing
@testable import MaiFleet

/// The SSH transport and the admin API client against real sshd hosts running real agents.
@Suite("Integration: SSH and admin API on the test fleet", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root) or TESTFLEET_HOSTS_JSON"), .testFleet)
struct IntegrationSSHTests {
    let fleet: IntegrationTestFleet
    let state: String

    init() throws {
        fleet = try #require(IntegrationTestFleet.current, "no test fleet")
        // Inside the fleet's directory, so `testfleet down` removes it.
        state = fleet.dir + "/state-\(UUID().uuidString)"
    }

    var credentials: SSHCredentials { .keyFile(path: fleet.clientKey, passphrase: nil) }
    var options: SSHOptions { SSHOptions(connectTimeout: .seconds(5), commandTimeout: .seconds(20), keepaliveInterval: .seconds(1)) }

    /// A session to host `index` with its key pinned beforehand (as provisioning does).
    func session(_ index: Int) async throws -> SSHSession {
        let host = try fleet.host(index)
        let knownHosts = try KnownHostsFile(stateDirectory: state)
        try knownHosts.pin(serverID: host.serverId, publicKey: host.pinnedKey)
        return try await SSHSession.connect(to: host.target, credentials: credentials, knownHosts: knownHosts, options: options)
    }

    @Test func execReturnsExitStatusStdoutAndStderr() async throws {
        let ssh = try await session(1)
        let result = try await ssh.exec(RemoteCommand(["sh", "-c", "echo out; echo err >&2; exit 3"]))
        #expect(result.exitStatus == 3)
        #expect(result.stdoutText == "out\n")
        #expect(result.stderrText == "err\n")
        #expect(try await ssh.exec(.hostname()).stdoutText == "h1\n")  // its own UTS namespace
        let tricky = ["it's", "$HOME", "`id`", "a b", "semi;colon", ""]
        let echoed = try await ssh.exec(RemoteCommand(["printf", "%s|"] + tricky))
        #expect(echoed.stdoutText == tricky.map { $0 + "|" }.joined())
        let big = try await ssh.exec(RemoteCommand(["head", "-c", "3000000", "/dev/zero"]))
        #expect(big.stdout.count == 3_000_000)
        #expect(try await ssh.exec(RemoteCommand(["false"])).exitStatus == 1)
        await ssh.close()
        await #expect(throws: SSHError.sessionClosed(target: ssh.target.description)) { _ = try await ssh.exec(.hostname()) }
    }

    @Test func unknownHostIsRefusedUnderStrictPolicyAndPinnedOnlyWhenAsked() async throws {
        let host = try fleet.host(2)
        let knownHosts = try KnownHostsFile(stateDirectory: state)
        await #expect(throws: SSHError.hostKeyUnknown(serverID: host.serverId, presented: host.pinnedKey)) {
            _ = try await SSHSession.connect(to: host.target, credentials: credentials, knownHosts: knownHosts, options: options)
        }
        #expect(try knownHosts.key(for: host.serverId) == nil)
        var firstUse = options
        firstUse.hostKeyPolicy = .pinOnFirstUse
        let ssh = try await SSHSession.connect(to: host.target, credentials: credentials, knownHosts: knownHosts, options: firstUse)
        #expect(try await ssh.exec(.hostname()).stdoutText == "h2\n")
        #expect(try knownHosts.key(for: host.serverId) == host.pinnedKey)
        await ssh.close()
    }

    @Test func commandTimeoutStopsTheCommandAndTheSessionStaysUsable() async throws {
        let ssh = try await session(1)
        let started = ContinuousClock.now
        await #expect(throws: SSHError.self) { _ = try await ssh.exec(.sleep(seconds: 30), timeout: .seconds(2)) }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .seconds(2) && elapsed < .seconds(6), "took \(elapsed)")
        do {
            _ = try await ssh.exec(.sleep(seconds: 30), timeout: .milliseconds(500))
            Issue.record("no timeout")
        } catch let SSHError.commandTimedOut(_, command, seconds) {
            #expect(command == "sleep 30")
            #expect(seconds == 0.5)
        }
        #expect(try await ssh.exec(RemoteCommand(["echo", "still here"])).stdoutText == "still here\n")
        // The timed-out command itself is stopped (SIGTERM over the channel), not left running.
        await #expect(throws: SSHError.self) { _ = try await ssh.exec(RemoteCommand(["sleep", "37.25"]), timeout: .seconds(1)) }
        var left: Int32 = 0
        for _ in 0..<20 {
            left = try await ssh.exec(RemoteCommand(["pgrep", "-f", "^sleep 37.25$"])).exitStatus
            if left == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(left == 1, "the remote sleep is still running")
        await ssh.close()
    }

    @Test func uploadThenCatRoundTrips() async throws {
        let ssh = try await session(2)
        let path = "/tmp/maitf-upload-\(UUID().uuidString) with space"
        var payload = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        payload.append(contentsOf: Array("\nend 'quote' $x\n".utf8))
        try await ssh.upload(data: payload, to: path, mode: 0o640)
        let read = try await ssh.exec(.cat(path: path))
        #expect(read.exitStatus == 0)
        #expect(read.stdout == payload)
        #expect(try await ssh.exec(RemoteCommand(["stat", "-c", "%a", path])).stdoutText == "640\n")
        _ = try await ssh.exec(RemoteCommand(["rm", "-f", "--", path]))
        await #expect(throws: SSHError.self) { try await ssh.upload(data: Data("x".utf8), to: "/nonexistent-dir/file") }
        await ssh.close()
    }

    @Test func adminAPIStatusThroughDirectTCPIPFromEachRealAgent() async throws {
        for index in [1, 2] {
            let host = try fleet.host(index)
            let ssh = try await session(index)
            let client = AdminAPIClient(tunnels: ssh, adminPort: host.adminPort, token: Secret(try fleet.token(host)), hostLabel: host.name)
            let status = try await client.status()
            #expect(status.instance == host.name)
            #expect(status.name == "Test fleet \(host.name)")
            let health = try await client.send(HTTPRequest(method: "GET", path: "/admin/v1/health"))
            #expect(health.status == 200, "\(health.status): \(String(decoding: health.body, as: UTF8.self))")
            let wrong = AdminAPIClient(tunnels: ssh, adminPort: host.adminPort, token: Secret(String(repeating: "x", count: 40)), hostLabel: host.name)
            await #expect(throws: AdminAPIError.unauthorized(host: host.name)) { _ = try await wrong.status() }
            // The tunnel reaches only what the host's loopback offers: a closed port is an error, not a hang.
            await #expect(throws: SSHError.self) { _ = try await ssh.openDirectTCPIP(host: "127.0.0.1", port: 1) }
            await ssh.close()
        }
    }

    @Test func parallelFanOutWithOneHostDownReportsOneFailureAndTheOthersSucceed() async throws {
        let hosts = try fleet.reloaded().hosts.sorted { $0.index < $1.index }
        let knownHosts = try KnownHostsFile(stateDirectory: state)
        for host in hosts { try knownHosts.pin(serverID: host.serverId, publicKey: host.pinnedKey) }
        try fleet.script("sshd", "2", "stop")
        defer { try? fleet.script("sshd", "2", "start") }
        let credentials = self.credentials, options = self.options
        let results = await withBoundedParallelism(limit: SSHOptions.defaultParallelism, over: hosts) { host in
            let ssh = try await SSHSession.connect(to: host.target, credentials: credentials, knownHosts: knownHosts, options: options)
            let name = try await ssh.exec(.hostname()).stdoutText
            await ssh.close()
            return name
        }
        #expect(results.count == hosts.count && hosts.count >= 3)
        #expect(try results[0].get() == "h1\n")
        guard case .failure(let error) = results[1], case SSHError.connectFailed = error else {
            Issue.record("h2 should have failed to connect, got \(results[1])")
            return
        }
        for (host, result) in zip(hosts, results).dropFirst(2) { #expect(try result.get() == "\(host.name)\n") }
    }

    @Test func changedHostKeyIsAHardErrorWithTheRepinHint() async throws {
        let before = try fleet.host(1)
        let knownHosts = try KnownHostsFile(stateDirectory: state)
        try knownHosts.pin(serverID: before.serverId, publicKey: before.pinnedKey)
        try fleet.script("sshd", "1", "rekey")
        let after = try fleet.host(1)
        #expect(after.pinnedKey != before.pinnedKey)
        do {
            _ = try await SSHSession.connect(to: after.target, credentials: credentials, knownHosts: knownHosts, options: options)
            Issue.record("connected despite a changed host key")
        } catch let error as SSHError {
            #expect(error == .hostKeyChanged(serverID: after.serverId, expected: before.pinnedKey, presented: after.pinnedKey))
            #expect(error.description.contains("maictl hosts pin \(after.serverId) --fingerprint"))
            #expect(error.description.contains(before.pinnedKey.fingerprint) && error.description.contains(after.pinnedKey.fingerprint))
        }
        // Even first-use pinning never overrides a pin.
        var firstUse = options
        firstUse.hostKeyPolicy = .pinOnFirstUse
        await #expect(throws: SSHError.self) {
            _ = try await SSHSession.connect(to: after.target, credentials: credentials, knownHosts: knownHosts, options: firstUse)
        }
        // The re-pin path: forget, pin the verified key, connect.
        try knownHosts.forget(serverID: after.serverId)
        try knownHosts.pin(serverID: after.serverId, publicKey: after.pinnedKey)
        let ssh = try await SSHSession.connect(to: after.target, credentials: credentials, knownHosts: knownHosts, options: options)
        #expect(try await ssh.exec(.hostname()).stdoutText == "h1\n")
        await ssh.close()
    }

    @Test func encryptedKeyNeedsItsPassphraseAndAForeignKeyIsDenied() async throws {
        let host = try fleet.host(1)
        let knownHosts = try KnownHostsFile(stateDirectory: state)
        try knownHosts.pin(serverID: host.serverId, publicKey: host.pinnedKey)
        let encrypted = state + "/client_encrypted"
        try FileManager.default.copyItem(atPath: fleet.clientKey, toPath: encrypted)
        try run("/usr/bin/ssh-keygen", "-q", "-p", "-P", "", "-N", "correct horse", "-f", encrypted)
        let withPassphrase = SSHCredentials.keyFile(path: encrypted, environment: ["MAICTL_SSH_PASSPHRASE": "correct horse"])
        let ssh = try await SSHSession.connect(to: host.target, credentials: withPassphrase, knownHosts: knownHosts, options: options)
        #expect(try await ssh.exec(.hostname()).stdoutText == "h1\n")
        await ssh.close()
        await #expect(throws: SSHError.keyFileUnreadable(path: encrypted)) {
            _ = try await SSHSession.connect(to: host.target, credentials: .keyFile(path: encrypted, passphrase: Secret("wrong")),
                                             knownHosts: knownHosts, options: options)
        }
        let foreign = state + "/foreign_ecdsa"
        try run("/usr/bin/ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", foreign)
        do {
            _ = try await SSHSession.connect(to: host.target, credentials: .keyFile(path: foreign, passphrase: nil), knownHosts: knownHosts, options: options)
            Issue.record("a key that is not authorized was accepted")
        } catch let SSHError.authenticationFailed(_, credentials, _) {
            #expect(credentials == "key file \(foreign)")
        }
    }

    @Test func sshAgentAuthenticates() async throws {
        let host = try fleet.host(2)
        let knownHosts = try KnownHostsFile(stateDirectory: state)
        try knownHosts.pin(serverID: host.serverId, publicKey: host.pinnedKey)
        let socket = state + "/agent.sock"
        let agent = try IntegrationTestFleet.spawn(["/usr/bin/ssh-agent", "-D", "-a", socket], environment: ProcessInfo.processInfo.environment)
        defer {
            kill(agent, SIGTERM)
            _ = IntegrationTestFleet.waitForExit(agent)
        }
        for _ in 0..<50 where !FileManager.default.fileExists(atPath: socket) { try await Task.sleep(for: .milliseconds(50)) }
        try run("/usr/bin/ssh-add", "-q", fleet.clientKey, environment: ["SSH_AUTH_SOCK": socket])
        let ssh = try await SSHSession.connect(to: host.target, credentials: .agent(socket: socket), knownHosts: knownHosts, options: options)
        #expect(try await ssh.exec(.hostname()).stdoutText == "h2\n")
        await ssh.close()
    }

    @Test func keepalivesKeepAnIdleSessionTalking() async throws {
        let host = try fleet.host(2)
        var quiet = options
        quiet.keepaliveInterval = nil
        var chatty = options
        chatty.keepaliveInterval = .milliseconds(200)
        var grown: [Bool] = []
        for settings in [quiet, chatty] {
            let knownHosts = try KnownHostsFile(stateDirectory: state)
            try knownHosts.pin(serverID: host.serverId, publicKey: host.pinnedKey)
            let ssh = try await SSHSession.connect(to: host.target, credentials: credentials, knownHosts: knownHosts, options: settings)
            _ = try await ssh.exec(.hostname())
            try await Task.sleep(for: .milliseconds(300))
            let before = try sshdBytesReceived(host)
            try await Task.sleep(for: .milliseconds(1500))
            grown.append(try sshdBytesReceived(host) > before)
            #expect(try await ssh.exec(.hostname()).stdoutText == "h2\n")
            await ssh.close()
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(grown == [false, true], "bytes reached sshd while idle: without keepalive \(grown[0]), with \(grown[1])")
    }

    /// What sshd on `host` has received on its established SSH connections (from `ss -ti`).
    private func sshdBytesReceived(_ host: IntegrationTestFleet.Host) throws -> Int {
        let output = state + "/ss.txt"
        let status = try IntegrationTestFleet.spawnAndWait(
            ["/usr/bin/nsenter", "--net=/var/run/netns/\(host.netns)", "ss", "-tinH", "state", "established", "( sport = :22 )"],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], outputFile: output)
        try #require(status == 0)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
            .filter { $0.hasPrefix("bytes_received:") }
            .compactMap { Int($0.dropFirst("bytes_received:".count)) }
            .reduce(0, +)
    }

    private func run(_ executable: String, _ arguments: String..., environment: [String: String] = [:]) throws {
        let status = try IntegrationTestFleet.spawnAndWait([executable] + arguments,
                                                           environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        try #require(status == 0, "\(executable) \(arguments) exited \(status)")
    }
}
