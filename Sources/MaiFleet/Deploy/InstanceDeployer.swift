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

    public init(instance: String, from: String?, to: String, result: Result, detail: String, seconds: Double = 0) {
        self.instance = instance
        self.from = from
        self.to = to
        self.result = result
        self.detail = detail
        self.seconds = seconds
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

    public init(instance: Instance, version: String, image: String, environment: AgentEnvironment, imageArchive: String?,
                healthTimeout: Duration = .seconds(60), keepImages: Int = 3, kind: String = "deploy", actor: String) {
        self.instance = instance
        self.version = version
        self.image = image
        self.environment = environment
        self.imageArchive = imageArchive
        self.healthTimeout = healthTimeout
        self.keepImages = keepImages
        self.kind = kind
        self.actor = actor
    }
}

/// The steps on one host, in order: back up, image, env file, start the candidate beside the
/// serving container, wait for its health check, switch Caddy to it, rename, stop the old one,
/// prune images. A candidate that does not become healthy is stopped and removed: the serving
/// container was never touched. The caller holds the host's deploy lock.
public struct InstanceDeployer: Sendable {
    public var commands: EngineCommands
    public var audit: @Sendable (AuditEntry, HostRunner) async -> Void
    public var progress: @Sendable (String) -> Void
    public var now: @Sendable () -> Date
    /// How long the old container keeps running after Caddy switched: requests the previous Caddy
    /// config still routes to it (and its pooled upstream connections) finish before it stops.
    public var drain: Duration

    public init(commands: EngineCommands, audit: @escaping @Sendable (AuditEntry, HostRunner) async -> Void,
                progress: @escaping @Sendable (String) -> Void, now: @escaping @Sendable () -> Date = Date.init,
                drain: Duration = .seconds(3)) {
        self.commands = commands
        self.audit = audit
        self.progress = progress
        self.now = now
        self.drain = drain
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
        func record(_ action: String, _ outcome: String, _ detail: String) async {
            await audit(AuditEntry(time: AuditEntry.timestamp(now()), actor: request.actor, instance: slug, action: action,
                                   version: request.version, outcome: outcome, detail: detail), host)
        }
        func must(_ command: RemoteCommand, _ what: String, stdin: Data? = nil, timeout: Duration = .seconds(120)) async throws -> ExecResult {
            let result = try await host.run(command, stdin: stdin, timeout: timeout)
            guard result.succeeded else {
                let reason = (result.stderrText + result.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines)
                throw StepFailed(detail: "\(what) failed (exit \(result.exitStatus)): \(reason.suffix(400))")
            }
            return result
        }
        func elapsed() -> Double { (ContinuousClock.now - started).seconds }

        do {
            _ = try await must(commands.prepareHost(), "preparing /srv/mai")
            let current = try await serving(on: host)
            from = current?.version
            if let current, current.running, current.version == request.version {
                progress("\(slug): already on \(request.version)")
                return InstanceOutcome(instance: slug, from: from, to: request.version, result: .unchanged,
                                       detail: "already serving \(request.version)", seconds: elapsed())
            }

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
                guard result.succeeded else { throw StepFailed(detail: "podman load failed: \(result.stderrText.suffix(400))") }
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
                return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: detail, seconds: elapsed())
            }

            // 6. Switch: Caddy to the new slot (graceful reload), then names, then the old one stops.
            _ = try await must(.writeFile(path: commands.layout.caddySnippet, mode: 0o644), "writing \(commands.layout.caddySnippet)",
                               stdin: Data(ProxyConfig.snippet(serving: slot).utf8))
            let reload = try await host.run(commands.reloadProxy())
            guard reload.succeeded else {
                if let current {
                    _ = try? await host.run(.writeFile(path: commands.layout.caddySnippet, mode: 0o644), stdin: Data(ProxyConfig.snippet(serving: current.slot).utf8), timeout: .seconds(30))
                }
                _ = try? await host.run(commands.stopAndRemove(name: HostLayout.candidateContainer, grace: 5))
                throw StepFailed(detail: "caddy reload failed (\(reload.stderrText.suffix(300))); stopped the new container")
            }
            await record("switch", "ok", "caddy → slot \(slot.rawValue) (ports \(slot.publicPort), \(slot.adminPort))")
            if current != nil {
                _ = try await must(commands.stopAndRemove(name: HostLayout.retiredContainer, grace: 5), "removing an old retired container")
                _ = try await must(commands.rename(HostLayout.servingContainer, to: HostLayout.retiredContainer), "renaming the old container")
            }
            _ = try await must(commands.rename(HostLayout.candidateContainer, to: HostLayout.servingContainer), "renaming the new container")
            if current != nil {
                if !(host is DryRunRunner) { try await Task.sleep(for: drain) }
                progress("\(slug): stopping \(from ?? "the old version") (30 s to finish requests)")
                _ = try await must(commands.stopAndRemove(name: HostLayout.retiredContainer, grace: 30), "stopping the old container", timeout: .seconds(90))
                await record("stop", "ok", "stopped \(from ?? "?")")
            }

            // 7. Images: keep the newest `keepImages` versions this host ran, never the serving one.
            var keep = ledger.versionsToKeep(slug, keep: request.keepImages)
            keep.insert(request.version, at: 0)
            await pruneImages(on: host, repository: request.image.components(separatedBy: ":").dropLast().joined(separator: ":"),
                              keep: Array(keep.prefix(max(1, request.keepImages))), record: record)

            await record(request.kind, "ok", "\(from ?? "nothing") → \(request.version)")
            progress("\(slug): serving \(request.version)")
            return InstanceOutcome(instance: slug, from: from, to: request.version, result: .deployed,
                                   detail: "\(from ?? "nothing") → \(request.version)", seconds: elapsed())
        } catch let failure as StepFailed {
            await record(request.kind, "failed", failure.detail)
            return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: failure.detail, seconds: elapsed())
        } catch {
            await record(request.kind, "failed", "\(error)")
            return InstanceOutcome(instance: slug, from: from, to: request.version, result: .failed, detail: "\(error)", seconds: elapsed())
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
