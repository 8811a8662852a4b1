import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl keys …`: each client's OpenRouter key.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, sync, rotate, inspect and disable each client's OpenRouter key (needs OPENROUTER_MANAGEMENT_KEY).",
        subcommands: [KeysCreateCommand.self, KeysSyncCommand.self, KeysRotateCommand.self, KeysStatusCommand.self, KeysDisableCommand.self]
    )
}

/// A duration option: `90`, `90s`, `15m`, `2h`, `1d`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var duration: Duration

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Int64)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        let (number, factor) = units.first { text.hasSuffix($0.0) }.map { (String(text.dropLast()), $0.1) } ?? (text, 1)
        guard let value = Int64(number), value >= 0, value <= 365 * 86_400 / factor else { return nil }
        duration = .seconds(value * factor)
    }

    init(seconds: Int64) {
        duration = .seconds(seconds)
    }

    var defaultValueDescription: String { "\(duration.components.seconds)s" }
}

/// What `keys` subcommands need beside the instances: the management client and the journals.
struct KeysContext: Sendable {
    let management: OpenRouterManagementClient
    let store: KeyRotationStore

    static func make(connector: FleetConnector) throws -> KeysContext {
        do {
            return KeysContext(management: try OpenRouterManagementClient.fromEnvironment(), store: KeyRotationStore(state: connector.state))
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(64)
        }
    }
}

/// `maictl keys create <client>|--all`.
struct KeysCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Give clients an OpenRouter key of their own (limit and reset from the client file).",
        discussion: """
            Per client: a new key named mai-<client>-<day> with openrouter_key_limit and openrouter_limit_reset \
            from its file, handed straight to the agent, which checks it with OpenRouter and switches (the \
            secret is never stored or printed here). A client that already uses its own key keeps it; a key it \
            used before (e.g. a shared OPENROUTER_API_KEY) stays enabled for the others. The key's hash and name \
            go into the client's key history. Run it after the client's first deploy (in a fleet of several \
            clients, deploy without OPENROUTER_API_KEY). A client that already has its own key keeps it: change \
            its limit with maictl keys sync. Exit codes: 0 all done, 2 some failed, 1 all failed, 64 usage.
            Example: maictl keys create acme    maictl keys create --all
            """
    )

    @Argument(help: "The client (or --all).") var client: String?
    @Flag(help: "Every enabled client.") var all = false
    @OptionGroup var selection: InstanceSelection

    func validate() throws {
        try selection.checkClient(client, all: all)
    }

    func run() async throws {
        let instances = try selection.instances(onlyClient: client)
        let connector = try selection.connector()
        let context = try KeysContext.make(connector: connector)
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance in
            try await connector.withAdminAPI(instance) { agent, _ in
                try await ClientKeyCreation(client: instance.slug, limit: instance.openRouterKeyLimit,
                                            limitReset: instance.openRouterLimitReset?.rawValue,
                                            management: context.management, agent: agent, store: context.store).run()
            }
        }
        var table = Table(columns: [.init("client"), .init("key"), .init("name"), .init("result")])
        var failures = 0
        for (instance, result) in zip(instances, results) {
            switch result {
            case .success(.created(let hash, let name)): table.append([instance.slug, String(hash.prefix(12)), name, "created; the agent uses it"])
            case .success(.kept(let hash, let name)): table.append([instance.slug, String(hash.prefix(12)), name, "kept (already its own)"])
            case .failure(let error):
                failures += 1
                table.append([instance.slug, "-", "-", "failed"])
                Stderr.write("maictl keys create: \((error as? ClientKeyCreation.Failure)?.description ?? "\(instance.slug): \(error)")")
            }
        }
        print(table.render(), terminator: "")
        throw fleetExitCode(failures: failures, total: instances.count)
    }
}

/// `maictl keys rotate <client>|--all`.
struct KeysRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Give clients a new OpenRouter key without losing a chat or a usage row.",
        discussion: """
            Per client, in order: create a new key (same limit and reset; named mai-<client>-<day>) → the agent
            validates it and switches → wait until the old key has nothing left to confirm or streaming → disable
            the old key → delete it after --grace. Every step is journalled in the state directory (key hashes only,
            never the secret): if a step fails the client keeps a working key, and running the command again resumes.
            Example: maictl keys rotate acme --grace 0    maictl keys rotate --all --drain-timeout 15m
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: "The client to rotate (or --all).") var client: String?
    @Flag(help: "Rotate every enabled client.") var all = false
    @OptionGroup var selection: InstanceSelection
    @Option(name: .customLong("drain-timeout"), help: "How long to wait for the old key's generations to be confirmed.")
    var drainTimeout = DurationArgument(seconds: 600)
    @Option(help: "How long the old key stays disabled before it is deleted (0 deletes at once).")
    var grace = DurationArgument(seconds: 86_400)
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table

    func validate() throws {
        try selection.checkClient(client, all: all)
    }

    struct Row: Encodable, Sendable {
        var client: String
        var oldKey: String?
        var newKey: String?
        var step: String
        var deleteAfter: Date?
        var error: String?
    }

    func run() async throws {
        let instances = try selection.instances(onlyClient: client)
        let connector = try selection.connector()
        let context = try KeysContext.make(connector: connector)
        let drain = drainTimeout.duration, grace = grace.duration
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance in
            try await connector.withAdminAPI(instance) { agent, _ in
                let options = KeyRotation.Options(drainTimeout: drain, grace: grace, fallbackLimit: instance.openRouterKeyLimit,
                                                  fallbackLimitReset: instance.openRouterLimitReset?.rawValue)
                let rotation = KeyRotation(client: instance.slug, management: context.management, agent: agent, store: context.store, options: options)
                return try await rotation.run()
            }
        }
        var rows: [Row] = []
        for (instance, result) in zip(instances, results) {
            switch result {
            case .success(let done):
                rows.append(Row(client: instance.slug, oldKey: done.oldHash, newKey: done.newHash, step: done.step.rawValue, deleteAfter: done.deleteAfter))
            case .failure(let error):
                let journal = try? context.store.journal(instance.slug)
                let message = (error as? KeyRotationStopped)?.description
                    ?? "\(instance.slug): \(error). Nothing was changed by this run beyond what the journal says; resume with: maictl keys rotate \(instance.slug)"
                rows.append(Row(client: instance.slug, oldKey: journal?.oldHash, newKey: journal?.newHash,
                                step: "stopped at \(journal?.step.rawValue ?? "start")", error: message))
                Stderr.write(message)
            }
        }
        switch format {
        case .json:
            print(try resultJSON(rows))
        case .table:
            var table = Table(columns: [.init("client"), .init("old key"), .init("new key"), .init("state")])
            for row in rows {
                let state: String = if row.error != nil {
                    row.step
                } else if let after = row.deleteAfter {
                    "switched; old key disabled, deleted after \(after.formatted(.iso8601))"
                } else {
                    "done; old key deleted"
                }
                table.append([row.client, row.oldKey.map { String($0.prefix(12)) } ?? "-", row.newKey.map { String($0.prefix(12)) } ?? "-", state])
            }
            print(table.render(), terminator: "")
        }
        throw fleetExitCode(failures: rows.filter { $0.error != nil }.count, total: rows.count)
    }
}
