import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl bootstrap <client>|--all`: a provisioned server to a serving client — cloud-init
/// finished, DNS checked, first deploy, the client's own OpenRouter key, the first administrator.
struct BootstrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Take provisioned clients to serving: cloud-init done, DNS checked, deployed, own key, first admin.",
        discussion: """
            Per client, in order, stopping at the first step that fails (the message says what to do):
            1. waits (up to --wait) for cloud-init to finish on the server, over the pinned SSH connection;
            2. checks that the client's domain resolves to the server's address (prints the DNS record to add
               when it does not; --skip-dns-check when the record is elsewhere, e.g. behind a proxy);
            3. deploys (as `maictl deploy`: sign-up closed unless the client file says open_signup = true; in a fleet
               of several clients the shell's OPENROUTER_API_KEY is not used — each gets its own key next);
            4. gives the client its own OpenRouter key (as `maictl keys create`; needs OPENROUTER_MANAGEMENT_KEY);
            5. creates the first administrator (admin_email of the client file) with a generated password, shown
               once or written to --password-dir/<client>-admin-password.txt (0600).
            Running it again is safe: a finished step is kept (same version, own key, existing accounts).
            Exit codes: 0 every client serving, 2 some failed, 1 all failed, 3 a deploy lock is held, 64 usage.

            Example: maictl bootstrap acme
            Example: maictl bootstrap --all --password-dir ~/mai-passwords --push-image
            """
    )

    @Argument(help: "The client (or --all).") var client: String?
    @Flag(help: "Every enabled client.") var all = false
    @OptionGroup var selection: InstanceSelection
    @OptionGroup var rollout: RolloutOptions
    @Option(help: ArgumentHelp("The version to deploy (default each client's agent_version or fleet.toml's).", valueName: "V"))
    var version: String?
    @Option(help: ArgumentHelp("How long to wait for cloud-init (e.g. 10m).", valueName: "D")) var wait: String = "15m"
    @Flag(name: .customLong("skip-dns-check"), help: "Do not check that the domain resolves to the server.") var skipDNSCheck = false
    @Option(help: "The first administrator's display name.") var adminName = "Administrator"
    @Option(help: ArgumentHelp("Write each password to DIR/<client>-admin-password.txt (0600) instead of printing it.", valueName: "DIR"))
    var passwordDir: String?

    func validate() throws {
        try selection.checkClient(client, all: all)
        guard RolloutOptions.seconds(wait) != nil else { throw ValidationError("--wait must be a duration such as 10m.") }
        try rollout.check()
        if let version { guard RolloutOptions.isTag(version) else { throw ValidationError("--version must be an image tag (letters, digits, . _ -).") } }
        if let passwordDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: passwordDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--password-dir \(passwordDir) is not a directory: make it first (mkdir -m 700 \(passwordDir)).")
            }
        }
    }

    /// One client's way through the steps; `failure` ends it.
    struct Progress: Sendable {
        var steps: [String: String] = [:]
        var failure: String?
    }

    func run() async throws {
        let instances = try selection.instances(onlyClient: client)
        let connector = try selection.connector()
        let waitSeconds = RolloutOptions.seconds(wait)!
        let skipDNS = skipDNSCheck
        var progress: [String: Progress] = [:]

        // 1–2. cloud-init and DNS, all clients at once.
        let started = ContinuousClock.now
        let ready = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance -> [String: String] in
            try await Self.ready(instance, connector: connector, waitSeconds: waitSeconds, skipDNS: skipDNS)
        }
        for (instance, result) in zip(instances, ready) {
            switch result {
            case .success(let steps): progress[instance.slug] = Progress(steps: steps)
            case .failure(let error): progress[instance.slug] = Progress(failure: "\(error)")
            }
        }
        Stderr.write("bootstrap: hosts checked in \(Self.format(ContinuousClock.now - started))")

        // 3. The first deploy, as `maictl deploy` (canary, batches, locks, ledger, audit).
        var deployable = instances.filter { progress[$0.slug]?.failure == nil }
        if !deployable.isEmpty {
            let fleetDefaults = try? FleetLoader(directory: selection.fleet.directoryURL, displayPath: selection.fleet.directory).load().defaults
            let targets = RolloutTargets.deploy(instances: deployable, requested: version, named: Set(deployable.map(\.slug)))
            for instance in deployable where (targets.versions[instance.slug] ?? "").isEmpty {
                progress[instance.slug]?.failure = "no version: pass --version V or set [agent] version in fleet.toml"
            }
            deployable = deployable.filter { progress[$0.slug]?.failure == nil }
            let deployStarted = ContinuousClock.now
            let code = try await rollout.execute(instances: deployable, versions: targets.versions, kind: "deploy", selection: selection,
                                                 defaults: fleetDefaults?.deploy ?? FleetDefaults.Deploy(), withoutSharedKey: true)
            if code == 3 { throw ExitCode(3) }
            Stderr.write("bootstrap: deploy finished in \(Self.format(ContinuousClock.now - deployStarted))")
            // What each agent serves now, asked of the agent itself (the deploy table above says why not).
            let serving = await withBoundedParallelism(limit: selection.parallel, over: deployable) { instance in
                try await connector.withAdminAPI(instance) { agent, _ in try await agent.status().version }
            }
            for (instance, result) in zip(deployable, serving) {
                switch result {
                case .success(let running) where running == targets.versions[instance.slug] || code == 0:
                    progress[instance.slug]?.steps["deploy"] = running
                case .success(let running):
                    progress[instance.slug]?.failure = "the deploy did not finish (the agent serves \(running)); see the deploy lines above, then run bootstrap again"
                case .failure(let error):
                    progress[instance.slug]?.failure = "the deploy did not finish (\(error)); see the deploy lines above, then run bootstrap again"
                }
            }
        }

        // 4. The client's own OpenRouter key.
        let serving = instances.filter { progress[$0.slug]?.failure == nil }
        let management = try? OpenRouterManagementClient.fromEnvironment()
        if let management {
            let keys = await withBoundedParallelism(limit: selection.parallel, over: serving) { instance in
                try await connector.withAdminAPI(instance) { agent, _ in
                    try await ClientKeyCreation(client: instance.slug, limit: instance.openRouterKeyLimit,
                                                limitReset: instance.openRouterLimitReset?.rawValue, management: management, agent: agent).run()
                }
            }
            for (instance, result) in zip(serving, keys) {
                switch result {
                case .success(.created(let hash, _)): progress[instance.slug]?.steps["key"] = "created \(hash.prefix(12))"
                case .success(.kept(let hash, _)): progress[instance.slug]?.steps["key"] = "kept \(hash.prefix(12))"
                case .failure(let error): progress[instance.slug]?.failure = "\((error as? ClientKeyCreation.Failure)?.reason ?? "\(error)")"
                }
            }
        } else {
            for instance in serving {
                progress[instance.slug]?.steps["key"] = "none"
                Stderr.write("bootstrap: \(instance.slug): no key of its own — OPENROUTER_MANAGEMENT_KEY is not set; export it and run maictl keys create \(instance.slug)")
            }
        }

        // 5. The first administrator.
        var passwords: [(String, String, String)] = []
        for instance in instances where progress[instance.slug]?.failure == nil {
            do {
                let users = try await connector.withAdminAPI(instance) { agent, _ in try await agent.status().users }
                if users > 0 {
                    progress[instance.slug]?.steps["admin"] = "kept (\(users) account\(users == 1 ? "" : "s"))"
                    continue
                }
                let admin = FirstAdmin(email: instance.adminEmail, name: adminName, engine: EngineCommands(engine: rollout.engine))
                let password = FirstAdmin.generatePassword()
                let file = try passwordDir.map { try Self.writePassword(password, directory: $0, slug: instance.slug) }
                do {
                    _ = try await connector.withSession(instance) { session in
                        try await admin.create(slug: instance.slug, password: password) { command, stdin in
                            try await session.exec(command, stdin: stdin, timeout: .seconds(60))
                        }
                    }
                } catch {
                    if let file { unlink(file) }
                    throw error
                }
                progress[instance.slug]?.steps["admin"] = admin.email
                passwords.append((instance.slug, admin.email, file.map { "in \($0)" } ?? "(shown once): \(password)"))
            } catch {
                progress[instance.slug]?.failure = "the first administrator: \(error)"
            }
        }

        var table = Table(columns: [.init("client"), .init("cloud-init"), .init("dns"), .init("deploy"), .init("key"), .init("admin"), .init("result")])
        var failures = 0
        for instance in instances {
            let entry = progress[instance.slug] ?? Progress()
            if entry.failure != nil { failures += 1 }
            table.append([instance.slug, entry.steps["cloud-init"] ?? "-", entry.steps["dns"] ?? "-", entry.steps["deploy"] ?? "-",
                          entry.steps["key"] ?? "-", entry.steps["admin"] ?? "-", entry.failure == nil ? "serving" : "FAILED"])
        }
        print(table.render(), terminator: "")
        for (slug, email, said) in passwords { print("\(slug): administrator \(email); password \(said)") }
        for instance in instances { if let failure = progress[instance.slug]?.failure { Stderr.write("bootstrap: \(instance.slug): \(failure)") } }
        Stderr.write("bootstrap: \(instances.count - failures) of \(instances.count) client(s) serving in \(Self.format(ContinuousClock.now - started))")
        throw fleetExitCode(failures: failures, total: instances.count)
    }

    /// Steps 1–2 for one client: cloud-init finished (the server may still be booting: connections
    /// are retried until the wait runs out), then the domain checked.
    static func ready(_ instance: Instance, connector: FleetConnector, waitSeconds: Int, skipDNS: Bool) async throws -> [String: String] {
        guard let address = instance.host else {
            throw BootstrapFailure("no server address known: run maictl provision \(instance.slug) first")
        }
        let deadline = ContinuousClock.now + .seconds(waitSeconds)
        var lastError = ""
        var state: HostReadiness.CloudInitState?
        while state == nil {
            let remaining = max(1, Int((deadline - ContinuousClock.now).components.seconds))
            do {
                let result = try await connector.withSession(instance) { session in
                    try await session.exec(HostReadiness.cloudInitWait(seconds: remaining), timeout: .seconds(remaining + 30))
                }
                state = HostReadiness.cloudInitState(exitStatus: result.exitStatus, output: result.stdoutText + result.stderrText)
            } catch {
                lastError = "\(error)"
                guard ContinuousClock.now + .seconds(5) < deadline else {
                    throw BootstrapFailure("no SSH connection to \(address) within the wait (\(lastError)); is the server up? (maictl hosts)")
                }
                try await Task.sleep(for: .seconds(5))
            }
        }
        switch state! {
        case .done: break
        case .failed(let detail):
            throw BootstrapFailure("cloud-init failed on the server: \(detail) — see maictl ssh \(instance.slug) -- tail -50 /var/log/cloud-init-output.log")
        case .unfinished(let detail):
            throw BootstrapFailure("cloud-init has not finished (\(detail)); run bootstrap again later, or with a longer --wait")
        }
        var steps = ["cloud-init": "done"]
        if skipDNS {
            steps["dns"] = "not checked"
        } else {
            if let problem = HostReadiness.dnsProblem(domain: instance.domain, serverAddress: address, addresses: await HostReadiness.resolve(instance.domain)) {
                throw BootstrapFailure(problem)
            }
            steps["dns"] = "ok"
        }
        return steps
    }

    struct BootstrapFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Writes the password to a new file (exclusively, 0600) before the account is made, so it is never lost.
    static func writePassword(_ password: String, directory: String, slug: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent("\(slug)-admin-password.txt")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw BootstrapFailure("cannot create \(path): \(String(cString: strerror(errno))) — move the old file away")
        }
        let bytes = Array((password + "\n").utf8)
        let written = write(descriptor, bytes, bytes.count)
        close(descriptor)
        guard written == bytes.count else {
            unlink(path)
            throw BootstrapFailure("could not write \(path)")
        }
        return path
    }

    static func format(_ duration: Duration) -> String {
        String(format: "%.1f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
