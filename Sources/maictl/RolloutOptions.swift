import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// The options deploy and rollback share, and the run they share: local lock, remote locks,
/// image archive, plan, rollout, ledger, report.
struct RolloutOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Instances per step after the canary: a number or a percentage (25%).", valueName: "N|P%"))
    var batch: String?
    @Option(help: "Stop the rollout after this many failed instances (default [deploy] max_failures, 1).")
    var maxFailures: Int?
    @Flag(help: "Stream the image from this machine's podman over SSH instead of pulling it.")
    var pushImage = false
    @Flag(help: "Print every remote command and local step without running any.")
    var dryRun = false
    @Option(help: ArgumentHelp("Wait this long for a held lock (e.g. 30s, 5m) before giving up with exit 3.", valueName: "D"))
    var lockWait: String = "0s"
    @Option(help: "Seconds a new container has to pass its health check.")
    var healthTimeout: Int = 60
    @Option(help: "Image versions kept on each host (the serving one included; never fewer than 2).")
    var keepImages: Int = 3
    @Option(help: ArgumentHelp("Container engine on the hosts.", valueName: "podman|docker"))
    var engine: String = ProcessInfo.processInfo.environment["MAICTL_ENGINE"] ?? "podman"
    @Option(help: "Message stored with the deploy lock (shown to anyone who finds it held).")
    var message: String?
    @Flag(help: "Print the result as JSON.") var json = false

    static func isTag(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 128 && text.first != "." && text.first != "-"
            && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
    }

    func check() throws {
        if let batch { guard RolloutPlan.BatchSize(batch) != nil else { throw ValidationError("--batch must be a number ≥ 1 or a percentage such as 25%.") } }
        if let maxFailures { guard maxFailures >= 1 else { throw ValidationError("--max-failures must be at least 1.") } }
        guard Self.seconds(lockWait) != nil else { throw ValidationError("--lock-wait must be a duration such as 0s, 30s, 5m.") }
        guard (5...3600).contains(healthTimeout) else { throw ValidationError("--health-timeout must be from 5 to 3600 seconds.") }
        guard (2...50).contains(keepImages) else { throw ValidationError("--keep-images must be from 2 to 50 (the serving version and one to roll back to).") }
        guard ["podman", "docker"].contains(engine) else { throw ValidationError("--engine must be podman or docker.") }
    }

    /// The result table (or JSON) on stdout; a dry run prints no table.
    func report(_ outcomes: [InstanceOutcome], dryRun: Bool) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: (try? encoder.encode(outcomes)) ?? Data("[]".utf8), as: UTF8.self))
        } else if !dryRun {
            var table = Table(columns: [.init("instance"), .init("from"), .init("to"), .init("result"), .init("seconds"), .init("detail")])
            for outcome in outcomes {
                table.append([outcome.instance, outcome.from ?? "-", outcome.to, outcome.result.rawValue,
                              String(format: "%.1f", outcome.seconds), outcome.detail])
            }
            print(table.render(), terminator: "")
        }
    }

    /// `30s`, `5m`, `1h`, or plain seconds.
    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        if let unit = text.last, let factor = units[unit], let value = Int(text.dropLast()), value >= 0 { return value * factor }
        return Int(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    /// Runs the rollout; returns the exit code. `withoutSharedKey` (bootstrap): the operator's
    /// `OPENROUTER_API_KEY` is not used in a fleet of several clients.
    func execute(instances selected: [Instance], versions: [String: String], kind: String, selection: InstanceSelection,
                 defaults: FleetDefaults.Deploy, force: Bool = false, withoutSharedKey: Bool = false) async throws -> Int32 {
        guard !selected.isEmpty else {
            Stderr.write("No enabled clients selected: nothing to do.")
            return 0
        }
        let environment = ProcessInfo.processInfo.environment
        let connector: FleetConnector
        do {
            connector = try FleetConnector.fromEnvironment()
        } catch {
            Stderr.write("maictl: \(error)")
            return 1
        }
        let stateURL = connector.state.url
        let commands = EngineCommands(engine: engine)
        let actor = LockHolder.current(message: "").holder
        let holder = LockHolder.current(message: message ?? "\(kind) \(Set(versions.values).sorted().joined(separator: ","))")
        let dryRun = self.dryRun
        let say: @Sendable (String) -> Void = { line in Stderr.write(line) }
        let localAudit = LocalAuditLog(stateDirectory: stateURL)

        // Local fleet lock: one rollout at a time from this state directory.
        let localLock = LocalFleetLock(stateDirectory: stateURL)
        if !dryRun {
            if let other = localLock.acquire(holder, wait: Double(Self.seconds(lockWait) ?? 0)) {
                Stderr.write("maictl: the local fleet lock (\(localLock.path)) is \(other). Wait for it to finish, or use --lock-wait.")
                return 3
            }
        }
        defer { localLock.release() }

        // Each client's OpenRouter key, decided before anything changes (DeployKeyPolicy): a
        // client that would need the shared OPENROUTER_API_KEY in a fleet of several fails here.
        let enabledClients: Int
        var stateKeys: [String: Secret] = [:]
        do {
            enabledClients = try FleetLoader(directory: selection.fleet.directoryURL, displayPath: selection.fleet.directory).load()
                .instances.filter { !$0.disabled }.count
            for instance in selected {
                stateKeys[instance.slug] = try connector.state.readSecret("openrouter-key", instance: instance.slug)
            }
        } catch {
            Stderr.write("maictl: \(error); nothing was changed")
            return 1
        }
        // Bootstrap gives each client its own key right after this deploy: in a fleet of several, the
        // shared key is then not even considered (a new agent starts without a key for those minutes).
        let shared = withoutSharedKey && enabledClients > 1 ? nil : environment["OPENROUTER_API_KEY"].flatMap { $0.isEmpty ? nil : Secret($0) }
        // A dry run asks no agent (it connects nowhere).
        var askAgent: (@Sendable (Instance) async throws -> OpenRouterKeyState)?
        if !dryRun {
            askAgent = { instance in try await connector.withAdminAPI(instance) { agent, _ in try await agent.openRouterKey() } }
        }
        let keyPlans = await DeployKeyPolicy.plan(instances: selected, enabledClients: enabledClients, stateKeys: stateKeys, shared: shared,
                                                  parallel: selection.parallel, askAgent: askAgent)
        var keys: [String: Secret] = [:]
        var refused: [InstanceOutcome] = []
        for instance in selected {
            switch keyPlans[instance.slug] {
            case .success(let planned)?:
                if let key = planned.key { keys[instance.slug] = key }
                if let note = planned.note { say(note) }
            case .failure(let refusal)?:
                if dryRun {
                    say("[dry-run] would refuse \(refusal)")
                } else {
                    Stderr.write("maictl \(kind): \(refusal)")
                    refused.append(InstanceOutcome(instance: instance.slug, from: nil, to: versions[instance.slug] ?? "", result: .failed,
                                                   detail: refusal.reason))
                }
            case nil:
                break
            }
        }
        let instances = selected.filter { instance in !refused.contains { $0.instance == instance.slug } }
        guard !instances.isEmpty else {
            report(refused, dryRun: false)
            Stderr.write("\(kind): nothing was changed")
            return 1
        }

        // The image archive for --push-image, made once for all hosts.
        var archives: [String: String] = [:]
        if pushImage {
            for reference in Set(instances.compactMap { instance in versions[instance.slug].map { EngineCommands.imageReference(instance.agentImage, version: $0) } }) {
                let path = stateURL.appendingPathComponent("image-\(UUID().uuidString.prefix(8)).tar").path
                if dryRun {
                    print("[dry-run] local: \(engine) save --quiet --format docker-archive -o \(path) \(reference)")
                } else {
                    say("saving \(reference) for streaming …")
                    let status = LocalProcess.run(["/usr/bin/env", engine, "save", "--quiet", "--format", "docker-archive", "-o", path, reference])
                    guard status == 0 else {
                        Stderr.write("maictl: `\(engine) save \(reference)` failed (exit \(status)): build or tag the image on this machine first (scripts/build-image --tag …).")
                        return 1
                    }
                }
                archives[reference] = path
            }
        }
        defer { for path in archives.values { unlink(path) } }

        let connect: FleetDeployer.Connect
        if dryRun {
            connect = { instance, body in try await body(DryRunRunner(label: instance.slug, print: { print($0) })) }
        } else {
            connect = { instance, body in
                // Closed before `connect` returns, whatever `body` did.
                try await connector.withSession(instance) { session in
                    try await body(SSHHostRunner(session: session, label: instance.slug))
                }
            }
        }
        let deployer = InstanceDeployer(
            commands: commands,
            audit: { entry, host in
                if !dryRun { localAudit.append(entry) }
                _ = try? await host.run(commands.appendAudit(), stdin: Data(entry.line.utf8), timeout: .seconds(30))
            },
            progress: say)
        let ledger = dryRun ? nil : LedgerFile(stateDirectory: stateURL)
        let fleet = FleetDeployer(connect: connect, deployer: deployer, ledger: ledger,
                                  lockWait: .seconds(Self.seconds(lockWait) ?? 0), progress: say)

        let parallel = selection.parallel
        let started = ContinuousClock.now
        do {
            try await fleet.lockAll(instances, holder: holder, parallel: parallel)
        } catch let error as FleetDeployer.StartError {
            Stderr.write("maictl: \(error)")
            if case .locked = error { return 3 }
            return 1
        }
        for instance in instances where !dryRun {
            localAudit.append(AuditEntry(time: AuditEntry.timestamp(Date()), actor: actor, instance: instance.slug, action: "lock",
                                         version: versions[instance.slug], outcome: "ok", detail: holder.message))
        }

        let openRouterBase = environment["OPENROUTER_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        var requests: [String: DeployRequest] = [:]
        for instance in instances {
            guard let version = versions[instance.slug] else { continue }
            let token: Secret
            let key = keys[instance.slug]
            do {
                // A dry run writes nothing, not even a new token into the state directory.
                token = dryRun ? (try connector.state.readSecret(StateDirectory.fleetTokenName, instance: instance.slug) ?? Secret("<new fleet token>"))
                    : try connector.state.fleetToken(for: instance.slug)
            } catch {
                Stderr.write("maictl: \(instance.slug): \(error)")
                await fleet.unlock(instances, parallel: parallel)
                return 1
            }
            let reference = EngineCommands.imageReference(instance.agentImage, version: version)
            requests[instance.slug] = DeployRequest(
                instance: instance, version: version, image: reference,
                environment: AgentEnvironment(instance: instance, fleetToken: token, openRouterKey: key, openRouterBaseURL: openRouterBase),
                imageArchive: archives[reference], healthTimeout: .seconds(healthTimeout), keepImages: keepImages, kind: kind, actor: actor,
                force: force)
        }
        let size = batch.flatMap(RolloutPlan.BatchSize.init) ?? .count(defaults.effectiveBatch)
        let plan = RolloutPlan(instances: instances.map(\.slug), batch: size, maxFailures: maxFailures ?? defaults.maxFailures)
        let rolledOut = await fleet.rollout(plan, requests: requests, parallel: parallel)
        // Instances the rollout never reached still hold the lock taken up front.
        let untouched = Set(rolledOut.filter { $0.result == .skipped }.map(\.instance))
        await fleet.unlock(instances.filter { untouched.contains($0.slug) }, parallel: parallel)
        let total = (ContinuousClock.now - started)
        let outcomes = refused + rolledOut
        report(outcomes, dryRun: dryRun)
        let failed = outcomes.filter { $0.result == .failed || $0.result == .skipped }.count
        if dryRun {
            say("dry run: nothing was run; the lines above are every command a \(kind) would run on hosts with nothing deployed yet")
            return 0
        }
        say("\(kind): \(outcomes.count - failed) of \(outcomes.count) instance(s) on the target version in \(String(format: "%.1f", Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18)) s")
        return failed == 0 ? 0 : 2
    }
}

/// Runs a local program and waits (posix_spawn; stdout/stderr inherited).
enum LocalProcess {
    static func run(_ argv: [String]) -> Int32 {
        var pid = pid_t()
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        guard posix_spawn(&pid, argv[0], nil, nil, cArguments, environ) == 0 else { return 127 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
