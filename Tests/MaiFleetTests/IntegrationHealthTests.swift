import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MaiCore
import Testing
@testable import MaiFleet

/// `maictl health` — the real binary — against the test fleet: all OK exits 0 (and `--quiet` prints
/// nothing); a host whose sshd is down is CRITICAL and named while the other stays OK, quickly;
/// `--notify` POSTs the JSON summary to a listener.
@Suite("Integration: maictl health on the test fleet", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root) or TESTFLEET_HOSTS_JSON"), .testFleet)
struct IntegrationHealthTests {
    let fleet: IntegrationTestFleet
    let work: String
    let workspace: MaictlWorkspace

    init() throws {
        fleet = try #require(IntegrationTestFleet.current, "no test fleet")
        workspace = try MaictlWorkspace(fleet: fleet, name: "health", fleetSettings: Self.thresholds)
        work = workspace.work
    }

    /// The test hosts share this machine's disk and memory, so the headroom thresholds are set low:
    /// the test is about reachability, not about the build machine.
    static let thresholds = """
        [health]
        disk_free_warning_percent = 2
        disk_free_critical_percent = 1
        memory_available_warning_percent = 2
        memory_available_critical_percent = 1
        """

    /// Runs maictl; returns (exit status, stdout, stderr).
    func run(_ arguments: String...) throws -> (Int32, String, String) {
        try workspace.run(arguments)
    }

    func decode(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test func allHostsOKExitZeroAndQuietPrintsNothing() throws {
        // No backup yet: a WARNING that says what to run.
        let before = try run("health", "--fleet", work + "/fleet")
        #expect(before.0 == 1, "\(before.1)\(before.2)")
        #expect(before.1.contains("backup_age: no backup in this maictl's store yet: run maictl backup"), "\(before.1)")
        let backup = try run("backup", "--all", "--fleet", work + "/fleet")
        #expect(backup.0 == 0, "\(backup.1)\(backup.2)")

        let (status, out, err) = try run("health", "--fleet", work + "/fleet")
        #expect(status == 0, "\(out)\(err)")
        #expect(out.contains("OK: \(fleet.hosts.count) OK"), "\(out)")
        for host in fleet.hosts { #expect(out.contains(host.serverId)) }

        let quiet = try run("health", "--fleet", work + "/fleet", "--quiet")
        #expect(quiet.0 == 0 && quiet.1.isEmpty, "\(quiet.1)\(quiet.2)")

        let (jsonStatus, jsonOut, jsonErr) = try run("health", "--fleet", work + "/fleet", "--json")
        #expect(jsonStatus == 0, "\(jsonOut)\n\(jsonErr)")
        let report = try decode(jsonOut)
        #expect(report["state"] as? String == "OK")
        let instances = try #require(report["instances"] as? [[String: Any]])
        #expect(instances.count == fleet.hosts.count)
        for instance in instances {
            let checks = try #require(instance["checks"] as? [[String: Any]])
            let names = Set(checks.compactMap { $0["name"] as? String })
            #expect(names.isSuperset(of: ["ssh", "agent", "public_health", "admin_api", "database", "disk", "memory", "confirmation_age",
                                          "backup_age"]), "\(names)")
            #expect(checks.allSatisfy { $0["state"] as? String == "OK" }, "\(checks)")
        }
        let verbose = try run("health", "--fleet", work + "/fleet", "--verbose")
        #expect(verbose.0 == 0 && verbose.1.contains("last backup") && verbose.1.contains("OK (not counted)  set OPENROUTER_MANAGEMENT_KEY"), "\(verbose.1)\n\(verbose.2)")
    }

    /// Registers `key` at the fleet's OpenRouter simulator with a spending limit and state.
    func registerAtSimulator(_ key: String, limit: Double, disabled: Bool = false) throws {
        let root = String(fleet.simUrl.dropLast("/api/v1".count))
        var request = URLRequest(url: URL(string: root + "/__sim/keys")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: ["key": key, "behavior": ["limit": limit, "disabled": disabled, "name": "mai-test"]])
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var status = 0
        URLSession.shared.dataTask(with: request) { _, response, _ in
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        done.wait()
        #expect(status == 201)
    }

    @Test func theOpenRouterKeyIsCheckedAtOpenRouterWhenTheManagementKeyIsSet() throws {
        let backup = try run("backup", "--all", "--fleet", work + "/fleet")
        #expect(backup.0 == 0, "backup: \(backup.1)\n\(backup.2)")
        // Without the management key the check is shown, not counted.
        let plain = try run("health", "--fleet", work + "/fleet", "--verbose")
        #expect(plain.0 == 0 && plain.1.contains("set OPENROUTER_MANAGEMENT_KEY"), "\(plain.1)\n\(plain.2)")

        // h1's key is active with room left, h2's is disabled at OpenRouter: CRITICAL, named.
        try registerAtSimulator("sk-or-v1-testfleet-h1", limit: 50)
        try registerAtSimulator("sk-or-v1-testfleet-h2", limit: 50, disabled: true)
        let management = ["OPENROUTER_MANAGEMENT_KEY": "sk-or-v1-mgmt-health", "OPENROUTER_BASE_URL": fleet.simUrl]
        let (status, out, err) = try workspace.run(["health", "--fleet", work + "/fleet", "--only", "maitf-h1,maitf-h2", "--json"],
                                                   environment: management)
        #expect(status == 2, "\(out)\(err)")
        let report = try decode(out)
        let instances = try #require(report["instances"] as? [[String: Any]])
        func keyCheck(_ name: String) -> [String: Any]? {
            let instance = instances.first { $0["instance"] as? String == name }
            return (instance?["checks"] as? [[String: Any]])?.first { $0["name"] as? String == "openrouter_key" }
        }
        #expect(keyCheck("maitf-h1")?["state"] as? String == "OK", "\(out)")
        #expect((keyCheck("maitf-h1")?["message"] as? String)?.contains("of $50.00 left") == true, "\(out)")
        #expect(keyCheck("maitf-h2")?["state"] as? String == "CRITICAL", "\(out)")
        #expect((keyCheck("maitf-h2")?["message"] as? String)?.contains("disabled at OpenRouter") == true, "\(out)")
    }

    /// One admin API request answers the agent, disk and memory checks; when the agent is down,
    /// maictl looks on the host instead (one exec), and the instance is CRITICAL for the admin API.
    @Test func aStoppedAgentIsCriticalAndTheHostIsAskedInstead() throws {
        let backup = try run("backup", "--all", "--fleet", work + "/fleet")
        #expect(backup.0 == 0, "backup: \(backup.1)\n\(backup.2)")
        func checks(_ out: String, _ instance: String) throws -> [String: [String: Any]] {
            let instances = try #require(try decode(out)["instances"] as? [[String: Any]])
            let checks = try #require(instances.first { $0["instance"] as? String == instance }?["checks"] as? [[String: Any]], "\(out)")
            return Dictionary(uniqueKeysWithValues: checks.compactMap { check in (check["name"] as? String).map { ($0, check) } })
        }
        let host = try fleet.host(3)
        let before = try run("health", "--fleet", work + "/fleet", "--only", host.serverId, "--json")
        #expect(before.0 == 0, "\(before.1)\(before.2)")
        let answered = try checks(before.1, host.serverId)
        #expect((answered["agent"]?["message"] as? String)?.hasPrefix("mai-agent \(MaiVersion.current) answering (pid ") == true, "\(before.1)")
        // The disk the agent writes to: its DATA_DIR (next to the host's fleet token in the rig).
        let dataDir = URL(fileURLWithPath: host.tokenFile).deletingLastPathComponent().appendingPathComponent("data").path
        #expect((answered["disk"]?["message"] as? String)?.contains("free on \(dataDir)") == true, "\(before.1)")

        try fleet.script("agent", "3", "stop")
        defer { try? fleet.script("agent", "3", "start") }
        let (status, out, err) = try run("health", "--fleet", work + "/fleet", "--json")
        #expect(status == 2, "\(out)\(err)")
        let down = try checks(out, host.serverId)
        #expect(down["admin_api"]?["state"] as? String == "CRITICAL", "\(out)")
        #expect(down["public_health"]?["state"] as? String == "CRITICAL", "\(out)")
        // Looked at on the host: pgrep there (the test hosts share one PID namespace, so it may see
        // another host's agent; a real server sees only its own), df / and /proc/meminfo.
        let agentMessage = down["agent"]?["message"] as? String ?? ""
        #expect(agentMessage.contains("process mai-agent running (pid") || agentMessage.contains("no mai-agent process"), "\(out)")
        #expect(down["disk"]?["state"] as? String == "OK" && (down["disk"]?["message"] as? String)?.contains("free on /") == true, "\(out)")
        #expect(down["memory"]?["state"] as? String == "OK", "\(out)")
        #expect((down["confirmation_age"]?["message"] as? String)?.contains("admin API did not answer") == true, "\(out)")
        for other in fleet.hosts where other.index != 3 {
            #expect(try checks(out, other.serverId)["admin_api"]?["state"] as? String == "OK", "\(out)")
        }

        try fleet.script("agent", "3", "start")
        let after = try run("health", "--fleet", work + "/fleet", "--only", host.serverId)
        #expect(after.0 == 0, "\(after.1)\(after.2)")
    }

    @Test func aHostWithSSHDownIsCriticalAndNamedAndNotified() throws {
        let down = try fleet.host(2)
        let up = try #require(fleet.hosts.first { $0.index != 2 })
        let listener = try NotifyListener()
        defer { listener.close() }
        let backup = try run("backup", "--all", "--fleet", work + "/fleet")
        #expect(backup.0 == 0, "backup: \(backup.1)\n\(backup.2)")
        try fleet.script("sshd", "2", "stop")
        defer { try? fleet.script("sshd", "2", "start") }

        let start = ContinuousClock.now
        let (status, out, err) = try run("health", "--fleet", work + "/fleet")
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(status == 2, "\(out)\(err)")
        let downLine = out.split(separator: "\n").first { $0.hasPrefix(down.serverId) }.map(String.init) ?? ""
        #expect(downLine.contains("CRITICAL") && downLine.contains("ssh: cannot connect"), "\(out)")
        let upLine = out.split(separator: "\n").first { $0.hasPrefix(up.serverId) }.map(String.init) ?? ""
        #expect(upLine.contains(" OK "), "\(out)")
        #expect(out.contains("CRITICAL: 1 CRITICAL (\(down.serverId)), \(fleet.hosts.count - 1) OK"), "\(out)")

        let (quietStatus, quietOut, quietErr) = try run("health", "--fleet", work + "/fleet", "--quiet", "--json",
                                                        "--notify", "http://127.0.0.1:\(listener.port)/hook")
        #expect(quietStatus == 2, "\(quietOut)\n\(quietErr)")
        #expect(!quietOut.isEmpty, "--quiet still prints when not OK")
        let posted = try #require(listener.waitForBody(seconds: 5), "no POST arrived; stderr: \(quietErr)")
        #expect(posted.request.hasPrefix("POST /hook HTTP/1.1"), "\(posted.request)")
        let summary = try decode(posted.body)
        #expect(summary["state"] as? String == "CRITICAL")
        let instances = try #require(summary["instances"] as? [[String: Any]])
        #expect(instances.first { $0["instance"] as? String == down.serverId }?["state"] as? String == "CRITICAL")
        #expect(instances.first { $0["instance"] as? String == up.serverId }?["state"] as? String == "OK")

        // A notify URL that does not answer is reported on stderr and does not change the exit code.
        listener.close()
        let unreachable = try run("health", "--fleet", work + "/fleet", "--quiet", "--notify", "http://127.0.0.1:\(listener.port)/hook")
        #expect(unreachable.0 == 2 && unreachable.2.contains("--notify"), "\(unreachable.1)\n\(unreachable.2)")
    }
}

/// A one-shot HTTP listener on 127.0.0.1 (plain BSD sockets): accepts connections, keeps the first
/// request's body and answers 204.
final class NotifyListener: @unchecked Sendable {
    struct Received { var request: String; var body: String }
    let port: Int
    private let socketFD: Int32
    private let lock = NSLock()
    private var received: Received?
    private var closed = false

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        socketFD = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    private func acceptLoop() {
        while true {
            let client = accept(socketFD, nil, nil)
            if client < 0 { return }
            var data = Data()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(client, &buffer, buffer.count)
                if count <= 0 { break }
                data.append(contentsOf: buffer[0..<count])
                let text = String(decoding: data, as: UTF8.self)
                if let split = text.range(of: "\r\n\r\n") {
                    let head = String(text[..<split.lowerBound])
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                    let body = String(text[split.upperBound...])
                    if body.utf8.count >= length {
                        lock.lock()
                        if received == nil { received = Received(request: head, body: body) }
                        lock.unlock()
                        break
                    }
                }
            }
            let answer = "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
            _ = answer.withCString { write(client, $0, strlen($0)) }
            closeDescriptor(client)
        }
    }

    func waitForBody(seconds: Double) -> Received? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            lock.lock()
            let value = received
            lock.unlock()
            if let value { return value }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        shutdown(socketFD, Int32(SHUT_RDWR))
        closeDescriptor(socketFD)
    }
}

/// `close(2)`, named apart from `NotifyListener.close()`.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
