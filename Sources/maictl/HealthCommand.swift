import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MaiCore
import MaiFleet

/// `maictl health`: every instance checked, Nagios exit codes, for cron and monitoring.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check every instance for cron: Nagios exit codes 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        discussion: """
            Per instance: SSH reachable, agent running, public /health, admin API answering, \
            database PRAGMA quick_check, disk free under the agent's DATA_DIR and memory available, \
            age of the last usage confirmation, the TLS certificate's days left (servers with a \
            domain; not test hosts), the age of the newest backup in this maictl's store, and — with \
            OPENROUTER_MANAGEMENT_KEY set — the OpenRouter key's state and remaining limit. \
            Thresholds come from [health] in fleet.toml.

            The agent answers most checks in one admin API request through the SSH tunnel. Only when \
            it does not answer (or is an older agent) does maictl run one command on the host: pgrep, \
            then docker/podman ps, df / and /proc/meminfo — so a stopped agent is told apart from a \
            stopped container.

            An instance that cannot be reached is CRITICAL and named; each instance has --deadline \
            seconds, so one stuck host cannot hang the run. The exit code is the worst state \
            (UNKNOWN only when nothing is worse); invalid fleet files or missing credentials exit 3.

            Example (cron): maictl health --quiet --notify https://hooks.example.com/mai
            """
    )

    @OptionGroup var selection: InstanceSelection
    @Flag(help: "Print JSON: every instance with every check.") var json = false
    @Flag(help: "Print nothing when every instance is OK.") var quiet = false
    @Flag(help: "Show every check, including those not counted (the OpenRouter key without OPENROUTER_MANAGEMENT_KEY, TLS on test hosts).") var verbose = false
    @Option(help: ArgumentHelp("POST the JSON summary to this URL when the state is not OK.", valueName: "url")) var notify: String?
    @Option(help: "Seconds each instance may take before it is reported CRITICAL.") var deadline: Int = 20

    func validate() throws {
        guard (3...600).contains(deadline) else { throw ValidationError("--deadline must be from 3 to 600 seconds.") }
        if let notify {
            guard let url = URL(string: notify), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw ValidationError("--notify must be an http:// or https:// URL.")
            }
        }
    }

    func run() async throws {
        let instances: [Instance]
        let thresholds: HealthThresholds
        let connector: FleetConnector
        do {
            instances = try selection.instances()
            thresholds = (try? FleetLoader(directory: selection.fleet.directoryURL, displayPath: selection.fleet.directory).load().defaults.health) ?? HealthThresholds()
            let environmentConnector = try selection.connector()
            connector = FleetConnector(state: environmentConnector.state, credentials: environmentConnector.credentials,
                                       knownHosts: environmentConnector.knownHosts,
                                       options: SSHOptions(connectTimeout: .seconds(5), commandTimeout: .seconds(8)),
                                       adminPort: environmentConnector.adminPort)
        } catch {
            print("UNKNOWN: maictl health could not start (see stderr)")
            throw ExitCode(HealthState.unknown.exitCode)
        }

        // OpenRouter's view of each agent's key, when the operator's management key is set.
        var openRouter: OpenRouterManagementClient?
        if !(ProcessInfo.processInfo.environment["OPENROUTER_MANAGEMENT_KEY"] ?? "").isEmpty {
            do {
                openRouter = try OpenRouterManagementClient.fromEnvironment()
            } catch {
                Stderr.write("maictl health: \(error)")
                print("UNKNOWN: maictl health could not start (see stderr)")
                throw ExitCode(HealthState.unknown.exitCode)
            }
        }
        let probe = HealthProbe(connector: connector, openRouter: openRouter)
        let evaluator = HealthEvaluator(thresholds: thresholds)
        let limit = deadline
        let progress = FleetProgress(total: instances.count, action: "health")
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance -> InstanceHealth in
            let address = (connector.address(for: instance).isEmpty ? instance.domain : connector.address(for: instance))
            guard let observation = await withDeadline(seconds: Double(limit), { await probe.observe(instance) }) else {
                progress.finished(instance.slug, ok: false)
                return InstanceHealth(instance: instance.slug, address: address,
                                      checks: [HealthCheck("deadline", .critical, "no complete result within \(limit) s — the host or its SSH is stuck")])
            }
            let health = evaluator.evaluate(observation, instance: instance.slug, address: address, now: Date())
            progress.finished(instance.slug, ok: health.state == .ok)
            return health
        }
        progress.end()
        let healths = zip(instances, results).map { instance, result in
            (try? result.get()) ?? InstanceHealth(instance: instance.slug, address: (connector.address(for: instance).isEmpty ? instance.domain : connector.address(for: instance)),
                                                  checks: [HealthCheck("internal", .unknown, "no result")])
        }
        let report = FleetHealth(instances: healths, checkedAt: Date())
        let shown = verbose ? report : report.withoutInformational

        if !(quiet && report.state == .ok) {
            if json {
                print(try Self.json(shown), terminator: "")
            } else {
                print(Self.table(shown, verbose: verbose).render(), terminator: "")
                print(report.summaryLine)
            }
        }
        if let notify, report.state != .ok {
            await Self.post(shown, to: notify)
        }
        let code = report.exitCode
        if code != 0 { throw ExitCode(code) }
    }

    static func json(_ report: FleetHealth) throws -> String {
        try resultJSON(report) + "\n"
    }

    /// One row per instance with its failing checks; verbose: one row per check.
    static func table(_ report: FleetHealth, verbose: Bool) -> Table {
        if verbose {
            var table = Table(columns: [.init("instance"), .init("address"), .init("check"), .init("state"), .init("message")])
            for instance in report.instances {
                for check in instance.checks {
                    table.append([instance.instance, instance.address, check.name,
                                  check.state.rawValue + (check.informational ? " (not counted)" : ""), check.message])
                }
            }
            return table
        }
        var table = Table(columns: [.init("instance"), .init("address"), .init("state"), .init("problems")])
        for instance in report.instances {
            let problems = instance.problems.map { "\($0.name): \($0.message)" }.joined(separator: "; ")
            table.append([instance.instance, instance.address, instance.state.rawValue, problems.isEmpty ? "-" : problems])
        }
        return table
    }

    /// POSTs the JSON summary; a failure is reported on stderr and changes nothing else.
    static func post(_ report: FleetHealth, to url: String) async {
        guard let address = URL(string: url), let body = try? json(report) else { return }
        var post = URLRequest(url: address, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 10)
        post.httpMethod = "POST"
        post.setValue("application/json", forHTTPHeaderField: "Content-Type")
        post.httpBody = Data(body.utf8)
        let request = post
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.timeoutIntervalForResource = 10
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let outcome = await withDeadline(seconds: 11) { () -> String? in
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                return (200..<300).contains(status) ? nil : "answered \(status)"
            } catch {
                return error.localizedDescription
            }
        }
        switch outcome {
        case .some(.none): break
        case .some(.some(let reason)): Stderr.write("maictl health: --notify \(url): \(reason)")
        case .none: Stderr.write("maictl health: --notify \(url): no answer within 10 s")
        }
    }
}
