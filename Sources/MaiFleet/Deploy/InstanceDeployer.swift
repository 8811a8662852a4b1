import Foundation
import MaiCore

/// What happened to one instance.
public struct InstanceOutcome: Sendable, Hashable, Codable {
    public enum Result: String, Sendable, Hashable, Codable {
        case deployed, unchanged, failed, skipped, locked
    }

    public var instance: String
    public var from: String?
    public var to: String
    public var result: Result
    public var detail: String
    public var seconds: Double
    /// The version that answers on the instance after this step, when known: what the ledger
    /// records (a switch whose old container then failed to stop still serves the new version).
    public var serving: String?

    public init(instance: String, from: String?, to: String, result: Result, detail: String, seconds: Double = 0, serving: String? = nil) {
        self.instance = instance
        self.from = from
        self.to = to
        self.result = result
        self.detail = detail
        self.seconds = seconds
        self.serving = serving
    }
}

/// Everything one instance's deploy needs besides the host.
public struct DeployRequest: Sendable {
    public var instance: Instance
    public var version: String
    public var image: String
    public var environment: AgentEnvironment
    /// A local image archive to stream when the host lacks the image (`--push-image`); else pull.
    public var imageArchive: String?
    public var healthTimeout: Duration
    public var keepImages: Int
    /// `deploy` or `rollback` (ledger and audit).
    public var kind: String
    public var actor: String
    /// Replace the container even when it already serves `version` (new settings, key or token).
    public var force: Bool

    public init(instance: Instance, version: String, image: String, environment: AgentEnvironment, imageArchive: String?,
                healthTimeout: Duration = .seconds(60), keepImages: Int = 3, kind: String = "deploy", actor: String, force: Bool = false) {
        self.instance = instance
        self.version = version
        self.image = image
        self.environment = environment
        self.imageArchive = imageArchive
        self.healthTimeout = healthTimeout
        self.keepImages = keepImages
        self.kind = kind
        self.actor = actor
        self.force = force
    }
}

/// The steps on one host, in order: the static Caddy snippet (reloaded only if the host had
/// another), back up, image, env file, start the candidate beside the serving container, wait for
/// its health check, wait until Caddy can use it (and the old slot has drained where Caddy prefers
/// the new one), rename, stop the old one gracefully, prune images. A candidate that does not
/// become healthy, or that Caddy cannot use, is stopped and removed: the serving container was
/// never touched. The caller holds the host's deploy lock.
public struct InstanceDeployer: Sendable {
    public var commands: EngineCommands
    public var audit: @Sendable (AuditEntry, HostRunner) async -> Void
    public var progress: @Sendable (String) -> Void
    public var now: @Sendable () -> Date
    /// Only when Caddy's counters cannot be read (no admin endpoint or no curl on the host): how
    /// long the old container keeps running before it is stopped, instead of the observed drain.
    public var drain: Duration
    /// How long to wait for Caddy to be able to use the new slot before giving up (the candidate is
    /// then stopped and the old version keeps serving); also the longest wait for requests still
    /// in flight on the old slot before its graceful stop (30 s to finish) begins.
    public var switchTimeout: Duration
    /// Between two readings of Caddy's counters.
    public var pollInterval: Duration
    /// The shortest wait before the old container stops: three of Caddy's active health checks,
    /// so Caddy has seen the new slot healthy (its counters do not show active health).
    public var minimumSwitchWait: Duration

    public init(commands: EngineCommands, audit: @escaping @Sendable (AuditEntry, HostRunner) async -> Void,
                progress: @escaping @Sendable (String) -> Void, now: @escaping @Sendable () -> Date = Date.init,
                drain: Duration = .seconds(3), switchTimeout: Duration = .seconds(30), pollInterval: Duration = .milliseconds(200),
                minimumSwitchWait: Duration = ProxyConfig.healthInterval * 3) {
        self.commands = commands
        self.audit = audit
        self.progress = progress
        self.now = now
        self.drain = drain
        self.switchTimeout = switchTimeout
        self.pollInterval = pollInterval
        self.minimumSwitchWait = minimumSwitchWait
    }

    struct StepFailed: Error { let detail: String }

    /// The serving container's slot, version and whether it runs; `nil` when there is none.
    public func serving(on host: HostRunner) async throws -> (slot: Slot, version: String, running: Bool)? {
        let result = try await host.run(commands.describe(name: HostLayout.servingContainer))
        guard result.succeeded else { return nil }
        let parts = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
        guard parts.count == 3, let slot = Slot(rawValue: parts[0]) else { return nil }
        return (slot, parts[1], parts[2] == "true")
    }

    public func deploy(_ request: DeployRequest, on host: HostRunner, ledger: DeployLedger) async -> InstanceOutcome {
        let started = ContinuousClock.now
        let slug = request.instance.slug
        var from: String?
        // What answers on the instance right now (reported with a failure; the ledger's truth).
        var serving: String?
        func record(_ action: String, _ outcome: String, _ detail: String) async {
            await audit(AuditEntry(time: AuditEntry.timestamp(now()), actor: request.actor, instance: slug, action: action,
                                   version: request.version, outcome: outcome, detail: detail), host)
        }
        func must(_ command: RemoteCommand, _ what: String, stdin: Data? = nil, timeout: Duration = .seconds(120)) async throws -> ExecResult {
            let result = try await host.run(command, stdin: stdin, timeout: timeout)
            guard result.succeeded else { throw StepFailed(detail: "\(what) failed (exit \(result.exitStatus)): \(Self.reason(result))") }
            return result
        }
        func elapsed() -> Double { (ContinuousClock.now - started).seconds }
        func keepsServing() -> String { serving.map { "\($0) keeps serving" } ?? "nothing was serving" }

        do {
            _ = try await must(commands.prepareHost(), "preparing /srv/mai")
            let current = try await self.serving(on: host)
            from = current?.version
            if let current, current.running { serving = current.version }
            if let current, current.running, current.version == request.version, !request.force {
                progress("\(slug): already on \(request.version)")
                return InstanceOutcome(instance: slug, from: from, to: request.version, result: .unchanged,
                                       detail: "already serving \(request.version)", seconds: elapsed(), serving: request.version)
            }

            // 0. Caddy's snippet: the static two-slot one (ProxyConfig). Written and reloaded only when
            //    the host has another (its first deploy since the snippet changed), before anything else.
            try await ensureProxyConfig(on: host, record: record)

            // 1. Backup (only when an agent serves: otherwise there is no database in use yet).
            if let current, current.running {
                let file = EngineCommands.backupFileName(version: request.version, timestamp: AuditEntry.compactTimestamp(now()))
                progress("\(slug): backing up the database (\(file))")
                let result = try await must(commands.backup(container: HostLayout.servingContainer, file: file), "the pre-deploy backup", timeout: .seconds(600))
                await record("backup", "ok", result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
            }

            // 2. Image.
            if try await host.run(commands.imageExists(request.image)).succeeded {
                progress("\(slug): image \(request.image) already present")
            } else if let archive = request.imageArchive {
                progress("\(slug): streaming \(request.image) over SSH")
                let result = try await host.run(commands.load(), stdinPath: archive, timeout: .seconds(1800))
                guard result.succeeded else { throw StepFailed(detail: "podman load failed (exit \(result.exitStatus)): \(Self.reason(result))") }
                await record("image", "ok", "loaded \(request.image) over SSH")
            } else {
                progress("\(slug): pulling \(request.image)")
                _ = try await must(commands.pull(request.image), "pulling \(request.image)", timeout: .seconds(1800))
                await record("image", "ok", "pulled \(request.image)")
            }

            // 3. Env file (0600; the values never leave stdin).
            _ = try await must(.writeFile(path: commands.layout.envFile, mode: 0o600), "writing \(commands.layout.envFile)",
                               stdin: Data(request.environment.fileText.utf8))
            await record("env", "ok", "wrote \(commands.layout.envFile): \(request.environment.keys.joined(separator: ","))")

            // 4. Candidate beside the serving container.
            let slot = current?.slot.other ?? .a
            _ = try await must(commands.stopAndRemove(name: HostLayout.candidateContainer, grace: 5), "removing a left-over candidate")
            progress("\(slug): starting \(request.version) in slot \(slot.rawValue)")
            _ = try await must(commands.run(name: HostLayout.candidateContainer, image: request.image, version: request.version,
                                            slot: slot, instance: slug), "starting the new container")
            await record("start", "ok", "\(HostLayout.candidateContainer) \(request.image) slot \(slot.rawValue)")

            // 5. Health.
            if let reason = try await waitForHealth(on: host, timeout: request.healthTimeout) {
                let logs = (try? await host.run(commands.logs(container: HostLayout.candidateContainer, follow: false, lines: 5, since: nil)))
                    .map { ($0.stdoutText + $0.stderrText).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
                _ = try? await host.run(commands.stopAndRemove(name: HostLayout.candidateContainer, grace: 5))
                let detail = "\(request.version) did not become healthy within \(Int(request.healthTimeout.seconds)) s (\(reason)); "
                    + "stopped it, \(from ?? "nothing") keeps serving" + (logs.isEmpty ? "" : ". Last log lines: \(logs.suffix(300))")
                await record("start", "failed", detail)
                progress("\(slug): FAILED: \(detail)")
                return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: detail, seconds: elapsed(),
                                       serving: serving)
            }

            // 6. Switch, without reloading Caddy: both slots are in its config. Before the old
            //    container goes, Caddy must be able to use the new slot (and, when the new slot is
            //    the preferred one, have nothing left in flight on the old one).
            if let current, current.running {
                switch await waitForSwitch(on: host, new: slot, old: current.slot) {
                case .ready(let seconds, let polls):
                    await record("switch", "ok", "caddy can use slot \(slot.rawValue) (ports \(slot.publicPort), \(slot.adminPort)); "
                                 + "old slot \(current.slot.rawValue) drained; \(polls) readings in \(String(format: "%.1f", seconds)) s")
                case .drainTimedOut(let inFlight):
                    progress("\(slug): \(inFlight) request(s) still in flight on \(current.version) after \(Int(switchTimeout.seconds)) s; "
                             + "they get the graceful stop's 30 s")
                    await record("switch", "ok", "caddy can use slot \(slot.rawValue); \(inFlight) request(s) still in flight on the old slot")
                case .unobservable(let reason):
                    progress("\(slug): cannot read Caddy's upstreams (\(reason)); keeping \(current.version) \(Int(drain.seconds)) s instead")
                    await record("switch", "ok", "caddy's upstreams unreadable (\(reason)); waited \(Int(drain.seconds)) s")
                    if !(host is DryRunRunner) { try await Task.sleep(for: drain) }
                case .refused(let reason):
                    _ = try? await host.run(commands.stopAndRemove(name: HostLayout.candidateContainer, grace: 5))
                    let detail = "Caddy cannot use \(request.version) in slot \(slot.rawValue) (\(reason)); stopped it, \(current.version) keeps serving"
                    await record("switch", "failed", detail)
                    progress("\(slug): FAILED: \(detail)")
                    return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: detail,
                                           seconds: elapsed(), serving: serving)
                }
            } else {
                await record("switch", "ok", "slot \(slot.rawValue) (ports \(slot.publicPort), \(slot.adminPort)); nothing served before")
            }
            if current != nil {
                _ = try await must(commands.stopAndRemove(name: HostLayout.retiredContainer, grace: 5), "removing an old retired container")
                _ = try await must(commands.rename(HostLayout.servingContainer, to: HostLayout.retiredContainer), "renaming the old container")
            }
            _ = try await must(commands.rename(HostLayout.candidateContainer, to: HostLayout.servingContainer), "renaming the new container")
            serving = request.version
            if let current {
                // Its graceful stop: no new connections (Caddy retries a refused one on the new slot),
                // 30 s for what is in flight.
                progress("\(slug): stopping \(from ?? "the old version") (30 s to finish requests)")
                let stop = try await host.run(commands.stopAndRemove(name: HostLayout.retiredContainer, grace: 30), timeout: .seconds(90))
                if !stop.succeeded {
                    // Honest about what answers now: an old container still running in the preferred
                    // slot (a) keeps Caddy's traffic.
                    let still = try? await host.run(commands.describe(name: HostLayout.retiredContainer))
                    let stillRunning = still.map { $0.succeeded && $0.stdoutText.split(separator: " ").last.map { $0.hasPrefix("true") } == true } ?? true
                    if stillRunning && current.slot == .a && current.running { serving = current.version }
                    let answering = serving == request.version
                        ? "\(request.version) serves (slot \(slot.rawValue))" + (stillRunning ? ", \(current.version) is still running as \(HostLayout.retiredContainer)" : "")
                        : "\(current.version) is still running in slot a, which Caddy prefers, so it still answers; \(request.version) waits in slot \(slot.rawValue)"
                    let detail = "switched to \(request.version), but stopping \(current.version) failed (exit \(stop.exitStatus)): \(Self.reason(stop)); "
                        + "\(answering). Remove it on the host: \(commands.engine) rm -f \(HostLayout.retiredContainer)"
                    await record("stop", "failed", detail)
                    progress("\(slug): FAILED: \(detail)")
                    return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: detail,
                                           seconds: elapsed(), serving: serving)
                }
                await record("stop", "ok", "stopped \(from ?? "?")")
            }

            // 7. Images: keep the newest `keepImages` versions this host ran, never the serving one.
            var keep = ledger.versionsToKeep(slug, keep: request.keepImages)
            keep.insert(request.version, at: 0)
            await pruneImages(on: host, repository: request.image.components(separatedBy: ":").dropLast().joined(separator: ":"),
                              keep: Array(keep.prefix(max(1, request.keepImages))), record: record)
            // 8. Pre-deploy backups: the newest few stay on the host (they would fill its disk).
            if let pruned = try? await host.run(commands.prunePreDeployBackups()), pruned.succeeded {
                let removed = pruned.stdoutText.split(separator: "\n")
                if !removed.isEmpty { await record("prune", "ok", "removed \(removed.count) old pre-deploy backup(s): \(removed.joined(separator: ", "))") }
            }

            await record(request.kind, "ok", "\(from ?? "nothing") → \(request.version)")
            progress("\(slug): serving \(request.version)")
            return InstanceOutcome(instance: slug, from: from, to: request.version, result: .deployed,
                                   detail: "\(from ?? "nothing") → \(request.version)", seconds: elapsed(), serving: request.version)
        } catch let failure as StepFailed {
            let detail = serving == request.version ? failure.detail : "\(failure.detail); \(keepsServing())"
            await record(request.kind, "failed", detail)
            progress("\(slug): FAILED: \(detail)")
            return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: detail, seconds: elapsed(),
                                   serving: serving)
        } catch {
            let detail = "\(error)" + (serving == request.version ? "" : "; \(keepsServing())")
            await record(request.kind, "failed", detail)
            progress("\(slug): FAILED: \(detail)")
            return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: detail, seconds: elapsed(),
                                   serving: serving)
        }
    }

    /// A failed command's stderr (else stdout), trimmed and shortened.
    static func reason(_ result: ExecResult) -> String {
        let text = (result.stderrText + result.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "no message" : String(text.suffix(400))
    }

    /// Writes the static snippet and reloads Caddy when the host has another one. A failed reload
    /// puts the previous file back (Caddy keeps running the config it had) and fails the deploy
    /// before anything else changed.
    func ensureProxyConfig(on host: HostRunner, record: (String, String, String) async -> Void) async throws {
        let path = commands.layout.caddySnippet
        let wanted = ProxyConfig.snippet()
        let existing = try await host.run(.cat(path: path), timeout: .seconds(30))
        if existing.succeeded && existing.stdoutText == wanted { return }
        progress("\(host.label): writing the two-slot \(path) and reloading Caddy (once per host)")
        let write = try await host.run(.writeFile(path: path, mode: 0o644), stdin: Data(wanted.utf8), timeout: .seconds(30))
        guard write.succeeded else {
            throw StepFailed(detail: "writing \(path) failed (exit \(write.exitStatus)): \(Self.reason(write)); nothing was changed")
        }
        let reload = try await host.run(commands.reloadProxy(), timeout: .seconds(60))
        guard reload.succeeded else {
            var restored = "removed it"
            if existing.succeeded {
                let back = try? await host.run(.writeFile(path: path, mode: 0o644), stdin: Data(existing.stdoutText.utf8), timeout: .seconds(30))
                restored = back?.succeeded == true ? "put the previous \(path) back" : "could NOT put the previous \(path) back"
            } else {
                _ = try? await host.run(RemoteCommand(["rm", "-f", "--", path]), timeout: .seconds(30))
            }
            let detail = "caddy reload failed (exit \(reload.exitStatus)): \(Self.reason(reload)); \(restored), Caddy keeps its previous config"
            await record("proxy", "failed", detail)
            throw StepFailed(detail: detail)
        }
        await record("proxy", "ok", "wrote the two-slot \(path) and reloaded Caddy")
    }

    /// How a switch looked in Caddy's counters.
    enum SwitchObservation: Sendable, Equatable {
        /// Caddy can use the new slot and nothing is in flight on the old one where that matters.
        case ready(seconds: Double, polls: Int)
        /// Caddy can use the new slot; the old one still had requests in flight at the timeout.
        case drainTimedOut(inFlight: Int)
        /// Caddy's counters could not be read.
        case unobservable(String)
        /// Caddy does not (or cannot) send requests to the new slot: the old one must keep serving.
        case refused(String)
    }

    /// Reads Caddy's upstreams until the switch from `old` to `new` is safe (three readings in a
    /// row), or `switchTimeout` passes.
    func waitForSwitch(on host: HostRunner, new: Slot, old: Slot) async -> SwitchObservation {
        if host is DryRunRunner {
            _ = try? await host.run(commands.proxyUpstreams(), timeout: .seconds(10))
            return .ready(seconds: 0, polls: 0)
        }
        let started = ContinuousClock.now
        let deadline = started + switchTimeout
        var polls = 0
        var readyInARow = 0
        var last = ProxyConfig.SwitchState.ready
        while true {
            polls += 1
            guard let result = try? await host.run(commands.proxyUpstreams(), timeout: .seconds(10)), result.succeeded else {
                return .unobservable("\(commands.proxyUpstreams().commandLine) failed")
            }
            guard let upstreams = ProxyConfig.upstreams(result.stdoutText) else {
                return .unobservable("not the upstreams JSON: \(result.stdoutText.prefix(100))")
            }
            last = ProxyConfig.switchState(upstreams, new: new, old: old)
            switch last {
            case .notProxied(let address):
                return .refused("Caddy has no upstream \(address): does /etc/caddy/Caddyfile import \(commands.layout.caddySnippet)?")
            case .ready:
                readyInARow += 1
                // Caddy's active health check has also seen the new slot since it became healthy.
                if readyInARow >= 3 && ContinuousClock.now - started >= minimumSwitchWait {
                    return .ready(seconds: (ContinuousClock.now - started).seconds, polls: polls)
                }
            case .newFailing, .draining:
                readyInARow = 0
            }
            if ContinuousClock.now >= deadline { break }
            try? await Task.sleep(for: pollInterval)
        }
        switch last {
        case .newFailing(let fails):
            return .refused("its requests to it failed \(fails) time(s) within \(ProxyConfig.failDuration), still "
                            + String(format: "%.1f", (ContinuousClock.now - started).seconds) + " s after it passed its health check")
        case .draining(let inFlight): return .drainTimedOut(inFlight: inFlight)
        default: return .ready(seconds: (ContinuousClock.now - started).seconds, polls: polls)
        }
    }

    /// `nil` once the candidate's health check passes; the last failure's reason after `timeout`.
    func waitForHealth(on host: HostRunner, timeout: Duration) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        var reason = "no answer"
        while ContinuousClock.now < deadline {
            let result = try await host.run(commands.healthcheck(name: HostLayout.candidateContainer), timeout: .seconds(15))
            if result.succeeded { return nil }
            reason = (result.stdoutText + result.stderrText).trimmingCharacters(in: .whitespacesAndNewlines)
            try await Task.sleep(for: .milliseconds(500))
        }
        return reason.isEmpty ? "unhealthy" : String(reason.suffix(200))
    }

    /// Removes tags of `repository` not in `keep`; a tag still in use simply stays (rmi refuses).
    func pruneImages(on host: HostRunner, repository: String, keep: [String],
                     record: (String, String, String) async -> Void) async {
        guard let listed = try? await host.run(commands.listImages(repository: repository)), listed.succeeded else { return }
        let references = listed.stdoutText.split(separator: "\n").compactMap { $0.split(separator: "\t").last.map(String.init) }
        let keepSet = Set(keep.map { "\(repository):\($0)" })
        for reference in references where !keepSet.contains(reference) && !reference.hasSuffix(":<none>") {
            if let removed = try? await host.run(commands.removeImage(reference)), removed.succeeded {
                await record("prune", "ok", "removed \(reference)")
            }
        }
    }
}
