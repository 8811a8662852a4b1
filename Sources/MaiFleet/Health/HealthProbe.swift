import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MaiCore

/// Looks at one instance for `maictl health`: the public `/health` from here, everything else
/// through one SSH session (commands on the host, the admin API through a tunnel). Never throws:
/// whatever cannot be seen becomes `.failed` with the reason.
public struct HealthProbe: Sendable {
    public var connector: FleetConnector
    /// Deadline of the public `/health` request.
    public var publicTimeout: TimeInterval
    /// Deadline of each command and admin API request.
    public var stepTimeout: Duration
    /// The process (and container) name of the agent.
    public var agentName: String

    /// OpenRouter's management API (`OPENROUTER_MANAGEMENT_KEY`), to check each agent's key; nil
    /// leaves that check out (shown, not counted).
    public var openRouter: OpenRouterManagementClient?

    public init(connector: FleetConnector, openRouter: OpenRouterManagementClient? = nil, publicTimeout: TimeInterval = 5,
                stepTimeout: Duration = .seconds(8), agentName: String = "mai-agent") {
        self.connector = connector
        self.openRouter = openRouter
        self.publicTimeout = publicTimeout
        self.stepTimeout = stepTimeout
        self.agentName = agentName
    }

    /// `http://<host>:<agent port>/health` for a test host (`host` set), else `https://<domain>/health`.
    public static func publicHealthURL(for instance: Instance) -> String {
        if let host = instance.host {
            let literal = host.contains(":") ? "[\(host)]" : host
            return "http://\(literal):\(instance.agentPort)/health"
        }
        return "https://\(instance.domain)/health"
    }

    /// Whether the TLS certificate is checked: a domain and a real server (no `host` override).
    public static func tlsApplies(to instance: Instance) -> Bool {
        instance.host == nil && !instance.domain.isEmpty
    }

    /// When the newest backup of `slug` in this maictl's backup store was taken.
    func lastBackup(_ slug: String) -> Observed<Date?> {
        do {
            return .value(try BackupStore(state: connector.state).list(slug).map(\.createdAt).max())
        } catch {
            return .failed("cannot read the backup store: \(error)")
        }
    }

    public func observe(_ instance: Instance) async -> HealthObservation {
        var (observation, keyHash) = await look(instance)
        observation.lastBackup = lastBackup(instance.slug)
        if let openRouter {
            switch keyHash {
            case .value(let hash?):
                do {
                    observation.openRouterKey = .value(try await openRouter.key(hash: hash))
                } catch {
                    observation.openRouterKey = .failed("OpenRouter did not describe key \(hash.prefix(8)): \(error)")
                }
            case .value(nil): observation.openRouterKey = .failed("the agent has no OpenRouter key: chats through OpenRouter fail")
            case .failed(let reason), .skipped(let reason), .notApplicable(let reason): observation.openRouterKey = .skipped("not checked: \(reason)")
            }
        }
        return observation
    }

    /// Everything but the backup store and OpenRouter; also the agent's key hash.
    ///
    /// One admin API request answers nearly everything on a current agent; a shell on the host is
    /// used only for what the agent could not tell — whether it runs at all when the admin API is
    /// silent, and an older agent's disk and memory. (Each exec costs the host a session and a login
    /// shell: a few hundred milliseconds on a busy host.)
    func look(_ instance: Instance) async -> (HealthObservation, Observed<String?>) {
        let url = Self.publicHealthURL(for: instance)
        async let publicHealth = Self.fetchStatus(url, timeout: publicTimeout)
        // The certificate is read from here, as browsers see it, in parallel with everything else.
        async let tls: Observed<Date> = Self.tlsApplies(to: instance) ? Self.certificateEnd(domain: instance.domain, timeout: publicTimeout)
            : .notApplicable("not checked: a test host (host = \(instance.host ?? "")) serves no TLS")
        let session: SSHSession
        do {
            session = try await SSHSession.connect(to: try connector.target(for: instance), credentials: connector.credentials,
                                                   knownHosts: connector.knownHosts, options: connector.options)
        } catch {
            var observation = HealthObservation.unreachable("\(error)", publicHealth: await publicHealth, publicHealthURL: url)
            observation.tlsNotAfter = await tls
            return (observation, .skipped("no SSH session"))
        }
        var findings: AdminFindings
        do {
            let token = try connector.state.fleetToken(for: instance.slug)
            let client = AdminAPIClient(tunnels: session, adminPort: connector.adminPort, token: token, timeout: stepTimeout, hostLabel: instance.slug)
            findings = AdminFindings(await Self.adminHealth(client))
            if case .value = findings.admin, findings.confirmation == nil {
                // An older agent: its last confirmation and key are in /admin/v1/status.
                do {
                    let status = try await client.status()
                    findings.confirmation = .value(status.lastConfirmation?.finishedAt)
                    findings.keyHash = .value(status.openrouterKey?.hash)
                } catch {
                    findings.confirmation = .failed("GET /admin/v1/status: \(error)")
                    findings.keyHash = .failed("GET /admin/v1/status: \(error)")
                }
            }
        } catch {
            findings = AdminFindings(.failed("no fleet token: \(error)"))
        }
        if findings.agent == nil || findings.disk == nil || findings.memory == nil {
            await lookOnHost(session, into: &findings)
        }
        await session.close()
        return (HealthObservation(agent: findings.agent ?? .skipped("not looked at"), publicHealth: await publicHealth, publicHealthURL: url,
                                  adminHealth: findings.admin, disk: findings.disk ?? .skipped("not looked at"),
                                  memory: findings.memory ?? .skipped("not looked at"),
                                  lastConfirmation: findings.confirmation ?? .skipped("not looked at"), tlsNotAfter: await tls),
                findings.keyHash ?? .skipped("not looked at"))
    }

    /// `GET /admin/v1/health`; a 503 (the database check failed) still carries the body.
    static func adminHealth(_ client: AdminAPIClient) async -> Observed<AdminHealth> {
        do {
            let response = try await client.send(HTTPRequest(method: "GET", path: "/admin/v1/health"))
            if response.status != 503 { try client.check(response) }
            return .value(try AdminAPI.decoder.decode(AdminHealth.self, from: response.body))
        } catch {
            return .failed("\(error)")
        }
    }

    /// Fills what `findings` lacks (agent process, disk of /, memory) from one batched exec.
    func lookOnHost(_ session: SSHSession, into findings: inout AdminFindings) async {
        let batch = RemoteBatch([.processIDs(name: agentName), .diskUsage(path: "/"), .memoryInfo()])
        let outputs: [RemoteBatch.Output?]
        let batchError: String?
        do {
            let result = try await session.exec(batch.command, timeout: stepTimeout)
            outputs = batch.parse(result.stdoutText)
            batchError = outputs.contains(nil) ? "the probe stopped early (exit \(result.exitStatus)): \(Self.firstLine(result.stderrText))" : nil
        } catch {
            outputs = Array(repeating: nil, count: batch.steps.count)
            batchError = "\(error)"
        }
        if findings.agent == nil {
            findings.agent = await agentProcess(session, pgrep: outputs[0], batchError: batchError)
        }
        if findings.disk == nil {
            findings.disk = Self.read(outputs[1], batch.steps[1], batchError, parse: HealthParsing.diskUsage, what: "df output")
        }
        if findings.memory == nil {
            findings.memory = Self.read(outputs[2], batch.steps[2], batchError, parse: HealthParsing.memoryInfo, what: "/proc/meminfo")
        }
    }

    /// `pgrep -x mai-agent` (which also sees containers' processes), else a container of that
    /// name under docker or podman.
    func agentProcess(_ session: SSHSession, pgrep: RemoteBatch.Output?, batchError: String?) async -> Observed<AgentProcess> {
        do {
            if let pgrep, pgrep.succeeded {
                let pids = pgrep.text.split(whereSeparator: \.isNewline).joined(separator: ", ")
                return .value(AgentProcess(running: true, detail: "process \(agentName) running (pid \(pids))"))
            }
            var looked = [pgrep == nil ? "pgrep did not run: \(batchError ?? "no output")" : "no \(agentName) process"]
            for engine in ["docker", "podman"] {
                let result = try await session.exec(.runningContainer(engine: engine, name: agentName), timeout: stepTimeout)
                if result.exitStatus == 127 { continue }
                if result.succeeded, result.stdoutText.split(whereSeparator: \.isNewline).contains(where: { $0 == agentName }) {
                    return .value(AgentProcess(running: true, detail: "container \(agentName) running (\(engine))"))
                }
                looked.append(result.succeeded ? "no running \(agentName) container (\(engine))"
                              : "\(engine) ps failed: \(Self.firstLine(result.stderrText))")
            }
            return .value(AgentProcess(running: false, detail: looked.joined(separator: "; ")))
        } catch {
            return .failed("\(error)")
        }
    }

    /// A batch step's output as a value, or why there is none.
    static func read<Value>(_ output: RemoteBatch.Output?, _ command: RemoteCommand, _ batchError: String?,
                            parse: (String) -> Value?, what: String) -> Observed<Value> {
        guard let output else { return .failed(batchError ?? "`\(command)` did not run") }
        guard output.succeeded else { return .failed("`\(command)` exited \(output.exitStatus): \(firstLine(output.text))") }
        guard let value = parse(output.text) else { return .failed("could not read the \(what)") }
        return .value(value)
    }

    /// The certificate `domain:443` presents, read from here (what browsers see).
    static func certificateEnd(domain: String, timeout: TimeInterval) async -> Observed<Date> {
        do {
            return .value(try await TLSCertificateProbe.notAfter(host: domain, serverName: domain, timeout: .seconds(timeout)))
        } catch {
            return .failed("cannot read the certificate of \(domain):443: \(error)")
        }
    }

    /// The HTTP status of GET `url`, or why there is none.
    static func fetchStatus(_ url: String, timeout: TimeInterval) async -> Observed<Int> {
        guard let address = URL(string: url) else { return .failed("not a URL") }
        var get = URLRequest(url: address, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        get.httpMethod = "GET"
        let request = get
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let outcome = await withDeadline(seconds: timeout + 1) { () -> Observed<Int> in
            do {
                let (_, response) = try await session.data(for: request)
                guard let http = response as? HTTPURLResponse else { return .failed("not an HTTP answer") }
                return .value(http.statusCode)
            } catch {
                return .failed(error.localizedDescription)
            }
        }
        return outcome ?? .failed("no answer within \(Int(timeout)) s")
    }

    static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.isEmpty ? "no message" : String(line.prefix(200))
    }
}

/// Runs `operation` and returns its value, or `nil` once `seconds` have passed — without waiting
/// for an operation that ignores cancellation (it is cancelled and left to finish on its own), so
/// one stuck host cannot hold up a whole run.
public func withDeadline<Value: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async -> Value) async -> Value? {
    let once = DeadlineOnce<Value>()
    return await withCheckedContinuation { (continuation: CheckedContinuation<Value?, Never>) in
        once.set(continuation)
        let work = Task { once.finish(await operation()) }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            once.finish(nil)
            work.cancel()
        }
    }
}

/// Resumes a continuation once: with the value or with `nil` at the deadline.
private final class DeadlineOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value?, Never>?
    init() {}
    func set(_ continuation: CheckedContinuation<Value?, Never>) {
        lock.lock(); defer { lock.unlock() }
        self.continuation = continuation
    }
    func finish(_ value: Value?) {
        lock.lock()
        let continuation = self.continuation
        self.continuation = nil
        lock.unlock()
        continuation?.resume(returning: value)
    }
}
