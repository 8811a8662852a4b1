import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MaiCore
import Testing
@testable import MaiFleet

/// `maictl deploy`, `rollback`, `lock`, `audit`, `logs` and `exec` — the real binary — on a
/// three-host test fleet whose hosts run podman and Caddy, with the image built from this
/// repository's Dockerfile. Each client's /health is polled through Caddy during every rollout.
@Suite("Integration: deploy with podman on the test fleet", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root) or TESTFLEET_HOSTS_JSON"), .podmanTestFleet)
struct IntegrationDeployTests {
    let fleet: IntegrationTestFleet
    let workspace: MaictlWorkspace

    init() throws {
        fleet = try #require(IntegrationTestFleet.current, "no test fleet")
        workspace = try MaictlWorkspace(fleet: fleet, name: "deploy")
    }

    /// The operator's shell has a fleet-wide OPENROUTER_API_KEY (which a fleet of three must not
    /// hand out) and the simulator's management key (any `sk-or-v1-mgmt-…` is one).
    static let sharedKey = "sk-or-v1-testfleet-deploy"
    static let managementKey = "sk-or-v1-mgmt-testfleet-deploy"

    func maictl(_ arguments: String..., unset: [String] = []) throws -> (status: Int32, out: String, err: String) {
        try maictl(arguments, unset: unset)
    }

    /// Runs maictl; `unset` names variables left out of its environment (`env -u`).
    func maictl(_ arguments: [String], unset: [String] = []) throws -> (status: Int32, out: String, err: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["MAICTL_STATE_DIR"] = workspace.work + "/state"
        environment["MAICTL_SSH_KEY"] = fleet.clientKey
        environment["SSH_AUTH_SOCK"] = nil
        environment["MAICTL_ENGINE"] = "podman"
        environment["CONTAINERS_CONF"] = PodmanImages.containersConf
        environment["OPENROUTER_API_KEY"] = Self.sharedKey
        environment["OPENROUTER_MANAGEMENT_KEY"] = Self.managementKey
        environment["OPENROUTER_BASE_URL"] = fleet.simUrl
        for name in unset { environment[name] = nil }
        let out = workspace.work + "/out-\(UUID().uuidString.prefix(6))"
        let wrapper = ["/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"\(out).err\"", workspace.maictl] + arguments.map { $0 }
        let status = try IntegrationTestFleet.spawnAndWait(wrapper, environment: environment, outputFile: out)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "")
    }

    /// Runs `command` on host `host` over SSH (pinned key).
    func onHost(_ host: IntegrationTestFleet.Host, _ command: RemoteCommand, stdin: String? = nil) async throws -> ExecResult {
        try await SSHSession.withSession(to: host.target, credentials: .keyFile(path: fleet.clientKey, passphrase: nil),
                                         knownHosts: try KnownHostsFile(stateDirectory: workspace.work + "/state")) { session in
            try await session.exec(command, stdin: stdin.map { Data($0.utf8) }, timeout: .seconds(60))
        }
    }

    /// The version label of the serving container on each host ("-" when none runs).
    func servingVersions() async throws -> [String] {
        var versions: [String] = []
        for host in fleet.hosts {
            let result = try await onHost(host, EngineCommands().describe(name: "mai-agent"))
            let parts = result.stdoutText.split(separator: " ").map(String.init)
            versions.append(result.succeeded && parts.count == 3 && parts[2].hasPrefix("true") ? parts[1] : "-")
        }
        return versions
    }

    func publicHealth(_ host: IntegrationTestFleet.Host) -> Int {
        HealthPoller.status(host: host.ip, port: host.publicPort, path: "/health")
    }

    func post(_ host: IntegrationTestFleet.Host, _ path: String, _ body: [String: Any]) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: "http://\(host.ip):\(host.publicPort)\(path)")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    /// Each client's OpenRouter key hash, as its agent reports it (`maictl keys status -o json`).
    func keyHashes() throws -> [String: String] {
        let status = try maictl("keys", "status", "--fleet", workspace.work + "/fleet", "-o", "json")
        #expect(status.status == 0, "keys status: \(status.out)\n\(status.err)")
        let rows = (try? JSONSerialization.jsonObject(with: Data(status.out.utf8))) as? [[String: Any]] ?? []
        var hashes: [String: String] = [:]
        for row in rows { if let client = row["client"] as? String, let hash = row["key_hash"] as? String { hashes[client] = hash } }
        return hashes
    }

    @Test func deployRollingUpgradeFailedCanaryRollbackAndLocks() async throws {
        let names = fleet.hosts.map(\.serverId)

        // 0. A fleet of three: the shared OPENROUTER_API_KEY in the operator's shell is given to no
        //    client. The fresh hosts have no agent that could hold a key of its own, so a plain deploy
        //    refuses every client before anything changes and says how to start one.
        let refused = try maictl("deploy", "--fleet", workspace.work + "/fleet", "--all", "--version", "v1", "--push-image", "--health-timeout", "60")
        #expect(refused.status == 1, "deploy v1 with the shared key exported: \(refused.out)\n\(refused.err)")
        for name in names {
            #expect(refused.err.contains("maictl bootstrap \(name)") && refused.err.contains("maictl keys create \(name)"),
                    "\(name) is refused with what to do: \(refused.err)")
        }
        #expect(try await servingVersions() == ["-", "-", "-"], "nothing was deployed")

        // 1. Three fresh hosts, prepared from their user data, bootstrapped: cloud-init done (as the
        // hosts' own `cloud-init status` says), v1 deployed (the image streamed over SSH; the shared
        // key is not used), each client's own OpenRouter key, the first administrator made. The test domains are in no DNS: bootstrap first refuses, naming the
        // record to add, and changes nothing.
        let passwordDir = workspace.work + "/passwords"
        try FileManager.default.createDirectory(atPath: passwordDir, withIntermediateDirectories: true)
        let bootstrap = ["bootstrap", "--all", "--fleet", workspace.work + "/fleet", "--version", "v1", "--push-image", "--health-timeout", "60",
                         "--password-dir", passwordDir]
        let noDNS = try maictl(bootstrap)
        #expect(noDNS.status == 1, "bootstrap without DNS records: \(noDNS.out)\n\(noDNS.err)")
        for host in fleet.hosts {
            let record = "\(host.name).test.example does not resolve: add the DNS record  \(host.name).test.example. 300 IN A \(host.ip)"
            #expect(noDNS.err.contains(record), "bootstrap names the record for \(host.name): \(noDNS.err)")
        }
        #expect(try await servingVersions() == ["-", "-", "-"], "nothing is deployed before DNS is right")
        var started = Date()
        let v1 = try maictl(bootstrap + ["--skip-dns-check"])
        let v1Seconds = Date().timeIntervalSince(started)
        #expect(v1.status == 0, "bootstrap (deploy v1): \(v1.out)\n\(v1.err)")
        #expect(v1.out.split(separator: "\n").filter { $0.contains("serving") }.count == 3, "\(v1.out)")
        #expect(try await servingVersions() == ["v1", "v1", "v1"])
        for host in fleet.hosts { #expect(publicHealth(host) == 200, "\(host.name) answers /health through Caddy") }
        #expect(v1.out.components(separatedBy: " created ").count == 4, "bootstrap gave each client a key of its own: \(v1.out)")
        let created = try maictl("keys", "create", "--all", "--fleet", workspace.work + "/fleet")
        #expect(created.status == 0 && created.out.components(separatedBy: "kept (already its own)").count == 4,
                "keys create --all after bootstrap keeps each client's key: \(created.out)\n\(created.err)")
        let ownKeys = try keyHashes()
        #expect(Set(names) == Set(ownKeys.keys) && Set(ownKeys.values).count == 3, "three clients, three keys of their own: \(ownKeys)")
        // The metadata service hands out the user data, host key included: root on the host may read
        // it (cloud-init at boot), the agent's container may not (the user data's nftables rule).
        let fetch = "exec 3<>/dev/tcp/169.254.169.254/80 && printf 'GET /hetzner/v1/userdata HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"
        let asRoot = try await onHost(fleet.hosts[0], RemoteCommand(["bash", "-c", fetch]))
        #expect(asRoot.succeeded && asRoot.stdoutText.contains("ed25519_private"), "root reads the metadata: \(asRoot.stdoutText.prefix(200)) \(asRoot.stderrText)")
        // In the container, the same shell reaches the agent's own port (so a failure below is the
        // refusal, not a missing tool) but not the metadata service.
        let probe = "(exec 3<>/dev/tcp/127.0.0.1/$PORT) && echo own-port-open; " + fetch + " && echo metadata-open"
        let fromAgent = try await onHost(fleet.hosts[0], RemoteCommand(["podman", "exec", "mai-agent", "bash", "-c", probe]))
        #expect(fromAgent.stdoutText.contains("own-port-open") && !fromAgent.stdoutText.contains("metadata-open")
                && !fromAgent.stdoutText.contains("PRIVATE KEY") && fromAgent.stderrText.contains("refused"),
                "the agent's container must not reach the metadata service: exit \(fromAgent.exitStatus) \(fromAgent.stdoutText.prefix(200)) \(fromAgent.stderrText)")

        // Sign-up is closed on a deployed agent: a stranger who reaches the new domain first does not
        // become its admin, and the page does not offer to create one.
        var passwords: [String: String] = [:]
        for host in fleet.hosts {
            let (status, body) = try await post(host, "/api/v1/auths/signup", ["name": "Mallory", "email": "m@\(host.name).example", "password": "password 123"])
            #expect(status == 403, "an anonymous sign-up on \(host.name) answered \(status): \(body)")
            // Bootstrap made each client's first admin (admin_email of its file; it must survive every
            // later deploy); the password is only in the file.
            let file = passwordDir + "/\(host.serverId)-admin-password.txt"
            #expect(v1.out.contains("\(host.serverId): administrator admin@\(host.name).test.example; password in \(file)"), "\(v1.out)")
            let password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
            #expect(password.count == 24 && !v1.out.contains(password) && !v1.err.contains(password), "the password is only in the file")
            passwords[host.name] = password
            let (signedIn, signInBody) = try await post(host, "/api/v1/auths/signin", ["email": "admin@\(host.name).test.example", "password": password])
            #expect(signedIn == 200 && signInBody["role"] as? String == "admin", "\(host.name): the new admin signs in: \(signedIn) \(signInBody)")
        }
        // Bootstrap again: every step is kept, no second admin, no new password file.
        let rerun = try maictl(bootstrap + ["--skip-dns-check"])
        #expect(rerun.status == 0 && rerun.out.components(separatedBy: "kept (1 account)").count == 4 && !rerun.out.contains("password in"),
                "a second bootstrap keeps what is done: \(rerun.out)\n\(rerun.err)")
        let again = try maictl("admin", "create", fleet.hosts[0].serverId, "--fleet", workspace.work + "/fleet", "--email", "admin@\(fleet.hosts[0].name).test.example")
        #expect(again.status == 1 && again.err.contains("already"), "a second admin with the same address is refused: \(again.out)\n\(again.err)")
        // The admin API on the host's loopback reaches the serving container through Caddy.
        let status = try maictl("status", "--fleet", workspace.work + "/fleet", "-o", "json")
        #expect(status.status == 0, "maictl status after deploy: \(status.out)\n\(status.err)")

        // 2. Rolling v2, one instance at a time, with every client's /health polled throughout.
        let pollers = fleet.hosts.map { HealthPoller(host: $0.ip, port: $0.publicPort) }
        pollers.forEach { $0.start() }
        started = Date()
        let v2 = try maictl("deploy", "--fleet", workspace.work + "/fleet", "--all", "--version", "v2", "--push-image", "--batch", "1")
        let v2Seconds = Date().timeIntervalSince(started)
        pollers.forEach { $0.stop() }
        #expect(v2.status == 0, "deploy v2: \(v2.out)\n\(v2.err)")
        #expect(try await servingVersions() == ["v2", "v2", "v2"])
        for (host, poller) in zip(fleet.hosts, pollers) {
            #expect(poller.requests > 20, "\(host.name) was polled during the rollout (\(poller.requests) requests)")
            #expect(poller.failures == 0, "\(host.name) answered non-200 \(poller.failures) times during the rollout: \(poller.failureSamples)")
        }
        let longest = pollers.map(\.longestOutage).max() ?? 0
        // v2 was deployed with the shared key exported: each agent kept its own key, and no env
        // file got the shared one (only the count of such lines is read, never the file).
        #expect(v2.err.components(separatedBy: "keeps its own OpenRouter key").count == 4, "\(v2.err)")
        #expect(try keyHashes() == ownKeys, "a deploy never replaces a client's own key")
        for host in fleet.hosts {
            let lines = try await onHost(host, RemoteCommand(["grep", "-c", "^OPENROUTER_API_KEY=", "/srv/mai/env"]))
            #expect(lines.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(host.name): the env file has no OpenRouter key line")
        }
        for host in fleet.hosts {
            let (status, body) = try await post(host, "/api/v1/auths/signin", ["email": "admin@\(host.name).test.example", "password": passwords[host.name] ?? "?"])
            #expect(status == 200 && body["token"] != nil, "\(host.name): the account made under v1 still signs in under v2")
            if let token = body["token"] as? String {
                #expect(await IntegrationKeyRotationTests.chat(on: host, token: token, text: "after v2"), "\(host.name) chats with its own key under v2")
            }
            let backups = try await onHost(host, RemoteCommand(["ls", "/srv/mai/data/backups"]))
            #expect(backups.stdoutText.contains("pre-deploy-v2-"), "\(host.name): a backup was taken before v2: \(backups.stdoutText)")
        }

        // 3. v3 cannot start (a configuration the agent refuses): the canary fails its health check,
        //    is stopped, the rollout halts, and every client keeps being served by v2.
        let canaryPoller = HealthPoller(host: fleet.hosts[0].ip, port: fleet.hosts[0].publicPort)
        canaryPoller.start()
        let v3 = try maictl("deploy", "--fleet", workspace.work + "/fleet", "--all", "--version", "v3", "--push-image", "--health-timeout", "12", "--json")
        canaryPoller.stop()
        #expect(v3.status == 2, "deploy v3 exits 2: \(v3.out)\n\(v3.err)")
        #expect(v3.err.contains("the canary failed: rollout stopped"), "\(v3.err)")
        let v3Outcomes = (try? JSONSerialization.jsonObject(with: Data(v3.out.utf8))) as? [[String: Any]] ?? []
        #expect(v3Outcomes.map { $0["result"] as? String } == ["failed", "skipped", "skipped"], "\(v3.out)")
        let canaryDetail = v3Outcomes.first?["detail"] as? String ?? ""
        #expect(canaryDetail.contains("v2 keeps serving"), "\(v3.out)\n\(v3.err)")
        #expect(try await servingVersions() == ["v2", "v2", "v2"])
        #expect(canaryPoller.failures == 0, "the canary's client was served by v2 while v3 failed: \(canaryPoller.failureSamples)")
        let leftovers = try await onHost(fleet.hosts[0], RemoteCommand(["podman", "ps", "--all", "--format", "{{.Names}}"]))
        #expect(leftovers.stdoutText.split(separator: "\n") == ["mai-agent"], "the failed candidate was removed: \(leftovers.stdoutText)")

        // 4. Rollback (each client's previous version from the ledger) → v1, zero downtime. A bare
        //    rollback names nothing and changes nothing; without a terminal it needs --yes.
        let bare = try maictl("rollback", "--fleet", workspace.work + "/fleet")
        #expect(bare.status == 64 && bare.err.contains("--all"), "a bare rollback is refused: \(bare.out)\n\(bare.err)")
        let unconfirmed = try maictl("rollback", "--all", "--fleet", workspace.work + "/fleet")
        #expect(unconfirmed.status == 64 && unconfirmed.err.contains("--yes"), "no terminal, no --yes: \(unconfirmed.out)\n\(unconfirmed.err)")
        #expect(try await servingVersions() == ["v2", "v2", "v2"], "nothing was rolled back yet")
        let rollbackPollers = fleet.hosts.map { HealthPoller(host: $0.ip, port: $0.publicPort) }
        rollbackPollers.forEach { $0.start() }
        let rollback = try maictl("rollback", "--all", "--yes", "--fleet", workspace.work + "/fleet")
        rollbackPollers.forEach { $0.stop() }
        #expect(rollback.status == 0, "rollback: \(rollback.out)\n\(rollback.err)")
        #expect(try await servingVersions() == ["v1", "v1", "v1"])
        for (host, poller) in zip(fleet.hosts, rollbackPollers) {
            #expect(poller.failures == 0, "\(host.name) answered non-200 during the rollback: \(poller.failureSamples)")
        }

        // 5. Someone else's deploy holds h2's lock: a new deploy refuses with exit 3, names them,
        //    and touches nothing; `lock status` shows it, `lock release` frees it.
        let alice = LockHolder(holder: "alice@laptop (pid 4242)", since: "2026-01-02T03:04:05Z", message: "hotfix")
        let taken = try await onHost(fleet.hosts[1], EngineCommands().acquireLock(), stdin: alice.fileText)
        #expect(taken.succeeded)
        let blocked = try maictl("deploy", "--fleet", workspace.work + "/fleet", "--all", "--version", "v2", "--push-image")
        #expect(blocked.status == 3, "blocked deploy: \(blocked.out)\n\(blocked.err)")
        #expect(blocked.err.contains("\(names[1]): deploy lock held by alice@laptop (pid 4242) since 2026-01-02T03:04:05Z (hotfix)"), "\(blocked.err)")
        #expect(try await servingVersions() == ["v1", "v1", "v1"])
        let lockStatus = try maictl("lock", "status", "--fleet", workspace.work + "/fleet")
        #expect(lockStatus.status == 3 && lockStatus.out.contains("\(names[1]): held by alice@laptop"), "lock status: \(lockStatus.out)\n\(lockStatus.err)")
        #expect(lockStatus.out.contains("\(names[0]): free") && lockStatus.out.contains("\(names[2]): free"),
                "the locks the refused deploy took were given back: \(lockStatus.out)")
        let release = try maictl("lock", "release", names[1], "--fleet", workspace.work + "/fleet")
        #expect(release.status == 0, "lock release: \(release.out)\n\(release.err)")
        #expect(release.out.contains("\(names[1]): released (was held by alice@laptop"), "lock release: \(release.out)\n\(release.err)")
        // Every run closes its SSH sessions before exiting: exit 0 and a line per host, every time.
        for attempt in 1...10 {
            let freed = try maictl("lock", "status", "--fleet", workspace.work + "/fleet")
            #expect(freed.status == 0 && names.allSatisfy { freed.out.contains("\($0): free") },
                    "lock status after release (run \(attempt)): \(freed.out)\n\(freed.err)")
        }

        // 6. Records: the local audit log and each host's, logs and exec.
        let audit = try maictl("audit", "--fleet", workspace.work + "/fleet", "--client", names[0], "-n", "1000", "--json")
        #expect(audit.status == 0, "audit: \(audit.out.suffix(2000))\n\(audit.err)")
        let actions = audit.out.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
            .map { "\($0["action"] as? String ?? "") \($0["outcome"] as? String ?? "")" }
        for expected in ["backup ok", "start ok", "switch ok", "stop ok", "deploy ok", "start failed", "rollback ok"] {
            #expect(actions.contains(expected), "local audit has \(expected): \(actions)")
        }
        let unlocks = try maictl("audit", "--fleet", workspace.work + "/fleet", "--client", names[1], "--json")
        #expect(unlocks.status == 0, "audit: \(unlocks.out.suffix(2000))\n\(unlocks.err)")
        #expect(unlocks.out.contains(#""action":"unlock""#) && unlocks.out.contains("alice@laptop"), "the release is audited: \(unlocks.out)")
        let hostAudit = try maictl("audit", "--fleet", workspace.work + "/fleet", "--host", names[0], "--json")
        #expect(hostAudit.status == 0 && hostAudit.out.contains(#""action":"switch""#), "\(hostAudit.out)\n\(hostAudit.err)")
        let logs = try maictl("logs", names[0], "--fleet", workspace.work + "/fleet", "-n", "20")
        #expect(logs.status == 0 && (logs.out + logs.err).contains("listening"), "\(logs.out)\n\(logs.err)")
        let exec = try maictl("exec", names[0], "--fleet", workspace.work + "/fleet", "--", "id", "-u")
        #expect(exec.status == 0 && exec.out.trimmingCharacters(in: .whitespacesAndNewlines) == "10001", "\(exec.out)\n\(exec.err)")
        let failing = try maictl("exec", names[0], "--fleet", workspace.work + "/fleet", "--", "sh", "-c", "exit 7")
        #expect(failing.status == 7, "exec passes the command's exit status on: \(failing.out)\n\(failing.err)")

        // maictl ssh: the system ssh with maictl's pinned key and identity (here with a command).
        let ssh = try maictl("ssh", names[0], "--fleet", workspace.work + "/fleet", "--", "hostname")
        // The hostname is the client's slug, from the user data (cloud-init's `hostname`).
        #expect(ssh.status == 0 && ssh.out.trimmingCharacters(in: .whitespacesAndNewlines) == fleet.hosts[0].serverId, "\(ssh.out)\n\(ssh.err)")

        print("deploy figures: v1 to 3 fresh hosts \(String(format: "%.1f", v1Seconds)) s; rolling v2 to 3 hosts (batch 1) "
              + "\(String(format: "%.1f", v2Seconds)) s; non-200 answers during v2 \(pollers.map(\.failures).reduce(0, +)) of "
              + "\(pollers.map(\.requests).reduce(0, +)) (per host \(pollers.map(\.requests))); longest non-200 stretch \(String(format: "%.3f", longest)) s; "
              + "during the failed v3 canary \(canaryPoller.failures) of \(canaryPoller.requests); during the rollback "
              + "\(rollbackPollers.map(\.failures).reduce(0, +)) of \(rollbackPollers.map(\.requests).reduce(0, +)) (per host \(rollbackPollers.map(\.requests)))")
    }
}

/// Polls http://host:port/health on its own thread (blocking sockets, one connection per request,
/// `Connection: close`) every 50 ms until stopped; counts answers that are not 200.
final class HealthPoller: @unchecked Sendable {
    let host: String
    let port: Int
    private let lock = NSLock()
    private var running = false
    private var thread: Thread?
    private var done = DispatchSemaphore(value: 0)
    private var _requests = 0
    private var _failures = 0
    private var _samples: [String] = []
    private var _longest: Double = 0

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var requests: Int { lock.withLock { _requests } }
    var failures: Int { lock.withLock { _failures } }
    var failureSamples: [String] { lock.withLock { _samples } }
    /// The longest time from a non-200 answer to the next 200, in seconds.
    var longestOutage: Double { lock.withLock { _longest } }

    func start() {
        lock.withLock { running = true }
        let thread = Thread { [self] in
            var outageStart: Date?
            while lock.withLock({ running }) {
                let sent = Date()
                let status = Self.status(host: host, port: port, path: "/health")
                let now = Date()
                lock.withLock {
                    _requests += 1
                    if status == 200 {
                        if let since = outageStart { _longest = max(_longest, now.timeIntervalSince(since)) }
                        outageStart = nil
                    } else {
                        _failures += 1
                        if _samples.count < 5 { _samples.append("\(now): \(status) after \(String(format: "%.3f", now.timeIntervalSince(sent))) s") }
                        if outageStart == nil { outageStart = now }
                    }
                }
                usleep(50_000)
            }
            if let since = outageStart { lock.withLock { _longest = max(_longest, Date().timeIntervalSince(since)) } }
            done.signal()
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { running = false }
        done.wait()
    }

    /// The status code of one GET (-1 when the connection was refused, 0 when no answer came within 3 s).
    static func status(host: String, port: Int, path: String) -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return -1 }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        guard request.withCString({ send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }) > 0 else { return 0 }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 12 else { return 0 }
        let line = String(decoding: buffer[0..<count], as: UTF8.self)
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

/// The images the deploy suite rolls out, derived from the image `scripts/build-image` made
/// (`MAI_TEST_IMAGE`, default localhost/mai-agent:test): v1 and v2 differ by a label; v3 sets a
/// configuration the agent refuses at start (`DEFAULT_USER_ROLE=admin`), so its health check fails.
enum PodmanImages {
    static var containersConf: String {
        ProcessInfo.processInfo.environment["CONTAINERS_CONF"]
            ?? IntegrationTestFleet.repositoryRoot.appendingPathComponent("scripts/podman/containers.conf").path
    }

    static var base: String { ProcessInfo.processInfo.environment["MAI_TEST_IMAGE"] ?? "localhost/mai-agent:test" }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static func podman(_ arguments: [String], log: String) throws -> Int32 {
        var environment = ProcessInfo.processInfo.environment
        environment["CONTAINERS_CONF"] = containersConf
        return try IntegrationTestFleet.spawnAndWait(["/usr/bin/podman"] + arguments, environment: environment, outputFile: log)
    }

    static func prepare(in directory: String) throws {
        guard try podman(["image", "exists", base], log: "/dev/null") == 0 else {
            throw Missing(description: "no image \(base): build it first (make image-test, or scripts/build-image --config debug --tag test), or set MAI_TEST_IMAGE")
        }
        for (version, extra) in [("v1", "LABEL mai.test.release=v1"), ("v2", "LABEL mai.test.release=v2"),
                                 ("v3", "LABEL mai.test.release=v3\nENV DEFAULT_USER_ROLE=admin")] {
            let context = directory + "/image-\(version)"
            try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
            try "FROM \(base)\n\(extra)\n".write(toFile: context + "/Containerfile", atomically: true, encoding: .utf8)
            let log = context + "/build.log"
            guard try podman(["build", "--pull=never", "--format", "docker", "-t", "localhost/mai-agent:\(version)", "-f", context + "/Containerfile", context], log: log) == 0 else {
                throw Missing(description: "podman build of \(version) failed: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
        }
    }

    /// Brings up a 3-host podman fleet around the suite (taking turns with the other suites).
    struct Scope: SuiteTrait, TestScoping {
        var isRecursive: Bool { false }

        func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
            guard getuid() == 0 else { throw IntegrationTestFleet.NeedsRoot() }
            await FleetTurn.shared.acquire()
            defer { Task { await FleetTurn.shared.release() } }
            let directory = "/tmp/maitestfleet-podman-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory + "-images", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory + "-images") }
            try PodmanImages.prepare(in: directory + "-images")
            defer { _ = try? PodmanImages.podman(["rmi", "localhost/mai-agent:v1", "localhost/mai-agent:v2", "localhost/mai-agent:v3"], log: "/dev/null") }
            defer {
                // Keep each host's Caddy and sshd logs for a failed run (the fleet directory goes with `down`).
                let logs = "/tmp/maitestfleet-podman-logs"
                try? FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
                for index in 1...3 {
                    for name in ["caddy.log", "sshd.log", "user-data.log"] {
                        let target = logs + "/h\(index)-\(name)"
                        try? FileManager.default.removeItem(atPath: target)
                        try? FileManager.default.copyItem(atPath: directory + "/h\(index)/\(name)", toPath: target)
                    }
                }
                _ = try? IntegrationTestFleet.runScript(["down"], directory: directory)
            }
            // Hosts prepared from the user data a real server gets (DESIGN.md, "Test rig").
            try IntegrationTestFleet.renderUserData(hosts: 3, into: directory + "-user-data")
            defer { try? FileManager.default.removeItem(atPath: directory + "-user-data") }
            try IntegrationTestFleet.runScript(["up", "3", "--sim-port", "19092", "--engine", "podman", "--user-data", directory + "-user-data"],
                                               directory: directory)
            let fleet = try IntegrationTestFleet.load(directory + "/hosts.json")
            try await IntegrationTestFleet.$current.withValue(fleet) { try await function() }
        }
    }
}

extension Trait where Self == PodmanImages.Scope {
    /// Runs the suite against a live 3-host test fleet with podman and Caddy on every host.
    static var podmanTestFleet: Self { Self() }
}
