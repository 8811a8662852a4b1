import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl keys sync <client>|--all`: the key's limit and reset at OpenRouter made equal to the client file's.
struct KeysSyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Set each client's OpenRouter key limit and reset to what its client file says.",
        discussion: """
            Per client: asks the agent which key it uses, looks that key up at OpenRouter and, when its limit or \
            reset differ from openrouter_key_limit / openrouter_limit_reset in the client file (no limit in the \
            file: no limit), changes them (PATCH /keys/{hash}). Only the client's own key (named \
            mai-<client>-<day>) is changed; for any other key it says to run maictl keys create <client> first. \
            Each change is recorded in the local audit log (maictl audit). --dry-run shows what would change.
            Exit codes: 0 all in sync, 2 some failed, 1 all failed, 64 usage.
            Example: maictl keys sync acme    maictl keys sync --all --dry-run -o json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: "The client (or --all).") var client: String?
    @Flag(help: "Every enabled client.") var all = false
    @OptionGroup var selection: InstanceSelection
    @Flag(name: .customLong("dry-run"), help: "Show what would change; change nothing.") var dryRun = false
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table

    func validate() throws {
        try selection.checkClient(client, all: all)
    }

    struct Row: Encodable, Sendable {
        var client: String
        var keyHash: String?
        var name: String?
        var before: ClientKeySync.Limits?
        var after: ClientKeySync.Limits?
        /// `changed`, `in sync`, `would change`, `failed`.
        var result: String
        var error: String?
    }

    func run() async throws {
        let instances = try selection.instances(onlyClient: client)
        let connector = try selection.connector()
        let context = try KeysContext.make(connector: connector)
        let audit = LocalAuditLog(stateDirectory: connector.state.url)
        let actor = LockHolder.current(message: "").holder
        let dryRun = self.dryRun
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance in
            try await connector.withAdminAPI(instance) { agent, _ in
                try await ClientKeySync(client: instance.slug,
                                        wanted: .init(limit: instance.openRouterKeyLimit, limitReset: instance.openRouterLimitReset?.rawValue),
                                        management: context.management, agent: agent, dryRun: dryRun,
                                        audit: { audit.append($0) }, actor: actor).run()
            }
        }
        var rows: [Row] = []
        for (instance, result) in zip(instances, results) {
            let wanted = ClientKeySync.Limits(limit: instance.openRouterKeyLimit, limitReset: instance.openRouterLimitReset?.rawValue)
            switch result {
            case .success(.changed(let hash, let name, let before, let after)):
                rows.append(Row(client: instance.slug, keyHash: hash, name: name, before: before, after: after, result: "changed"))
            case .success(.inSync(let hash, let name, let limits)):
                rows.append(Row(client: instance.slug, keyHash: hash, name: name, before: limits, after: limits, result: "in sync"))
            case .success(.wouldChange(let hash, let name, let before, let after)):
                rows.append(Row(client: instance.slug, keyHash: hash, name: name, before: before, after: after, result: "would change"))
            case .failure(let failure as ClientKeySync.Failure):
                rows.append(Row(client: instance.slug, keyHash: failure.hash, before: failure.before, after: wanted, result: "failed", error: failure.reason))
            case .failure(let error):
                rows.append(Row(client: instance.slug, after: wanted, result: "failed",
                                error: "cannot reach the agent (\(error)); nothing was changed. Check it with maictl health --only \(instance.slug) and run again"))
            }
        }
        switch format {
        case .json:
            print(try resultJSON(rows))
        case .table:
            var table = Table(columns: [.init("client"), .init("key"), .init("before"), .init("after"), .init("result")])
            for row in rows {
                let result: String = switch row.result {
                case "changed": "changed"
                case "in sync": "already in sync"
                case "would change": "would change (dry run)"
                default: "failed: " + (row.error ?? "unknown error")
                }
                table.append([row.client, row.keyHash.map { String($0.prefix(12)) } ?? "-", row.before?.description ?? "-",
                              row.after?.description ?? "-", result])
            }
            print(table.render(), terminator: "")
        }
        if dryRun { Stderr.write("dry run: nothing was changed at OpenRouter") }
        throw fleetExitCode(failures: rows.filter { $0.result == "failed" }.count, total: rows.count)
    }
}

/// `maictl keys disable <client>`: what `deprovision` does to the client's keys once its server is
/// gone — also how a failed disable is finished.
struct KeysDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Disable a client's OpenRouter keys (deprovision does it; this finishes or retries it).",
        discussion: """
            Disables (PATCH disabled=true) the key the client's agent uses if it still answers, every key in the \
            client's key history that is not deleted, and any other enabled key OpenRouter lists under the \
            client's name (mai-<client>-<day>). A key with another name — e.g. a shared OPENROUTER_API_KEY — is \
            named and left enabled. Each key is recorded in the key history and each change in the audit log. \
            The client file may already be gone. While the client's agent still answers, disabling stops its chats \
            at once, so that needs --yes (to retire a client, use maictl deprovision).
            Exit codes: 0 every key disabled or gone, 2 some still enabled, 1 none disabled, 64 usage.
            Example: maictl keys disable acme
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: "The client (slug).") var client: String
    @Flag(help: "Disable even though the client's agent still answers (its chats stop).") var yes = false
    @OptionGroup var fleet: FleetOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table

    func validate() throws {
        guard FieldRules.isSlug(client) else { throw ValidationError("'\(client)' is not a client slug.") }
    }

    func run() async throws {
        // No SSH needed: after a deprovision there is no server to reach, only the state directory and OpenRouter.
        let state: StateDirectory
        let management: OpenRouterManagementClient
        do {
            state = try StateDirectory(environment: ProcessInfo.processInfo.environment)
            management = try OpenRouterManagementClient.fromEnvironment()
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(64)
        }
        let audit = LocalAuditLog(stateDirectory: state.url)
        let disabling = ClientKeyDisabling(client: client, management: management, store: KeyRotationStore(state: state),
                                           audit: { audit.append($0) }, actor: LockHolder.current(message: "").holder)
        // The agent, if the client, its server and SSH credentials are still there.
        var agentKeyHash: String?
        if let instance = (try? FleetLoader(directory: fleet.directoryURL, displayPath: fleet.directory).load())?.instances.first(where: { $0.slug == client }),
           let connector = try? FleetConnector.fromEnvironment(),
           let state = try? await connector.withAdminAPI(instance, { agent, _ in try await agent.openRouterKey() }),
           let current = state.currentHash {
            guard yes else {
                Stderr.write("maictl keys disable: \(client)'s agent still answers and uses key \(current.prefix(12)): disabling it stops "
                             + "\(client)'s chats at once. To retire the client, run maictl deprovision \(client); to stop its spending now "
                             + "anyway, run again with --yes. Nothing was changed.")
                throw ExitCode(64)
            }
            try? disabling.remember(state)
            agentKeyHash = current
        }
        let report = await disabling.run(agentKeyHash: agentKeyHash)
        switch format {
        case .json:
            print(try resultJSON(report))
        case .table:
            var table = Table(columns: [.init("client"), .init("key"), .init("name"), .init("result")])
            for key in report.keys {
                table.append([client, String(key.hash.prefix(12)), key.name ?? "-",
                              key.result == .failed ? "STILL ENABLED: \(key.detail ?? "")" : key.result.rawValue])
            }
            if report.keys.isEmpty { table.append([client, "-", "-", report.summary]) }
            print(table.render(), terminator: "")
        }
        report.notes.forEach { Stderr.write("\(client): \($0)") }
        report.problems.forEach { Stderr.write($0) }
        if report.finished { return }
        throw report.keys.contains(where: { $0.result == .disabled }) ? ExitCode(2) : ExitCode(1)
    }
}
