import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl backup <client>|--all` and `maictl backup list <client>`.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Take consistent backups of client databases, or list them.",
        subcommands: [BackupTake.self, BackupList.self],
        defaultSubcommand: BackupTake.self
    )
}

struct BackupTake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "take",
        abstract: "Snapshot each client's live database over the SSH tunnel, check it, keep it compressed.",
        discussion: """
            The agent makes a VACUUM INTO snapshot while it keeps serving; maictl streams it to the state
            directory (backups/<client>/<id>.db.gz), checks its SHA-256 and PRAGMA integrity_check, and keeps
            the newest [backup] keep (fleet.toml, default 7).
            Examples: maictl backup acme · maictl backup --all
            """
    )

    @OptionGroup var target: ClientTarget

    func run() async throws {
        let (fleet, instances) = try target.resolve()
        let connector = try target.selection.connector()
        let store = BackupStore(state: connector.state)
        let keep = fleet.defaults.backup.keep
        let results = await withBoundedParallelism(limit: target.selection.parallel, over: instances) { instance in
            let started = ContinuousClock.now
            let record = try await connector.withAdminAPI(instance) { client, _ in
                try await BackupOperations.take(client, slug: instance.slug, store: store)
            }
            let removed = try store.prune(instance.slug, keep: keep)
            return (record, removed, ContinuousClock.now - started)
        }
        var failures = 0
        for (instance, result) in zip(instances, results) {
            switch result {
            case .success(let (record, removed, took)):
                let seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
                print("\(instance.slug): backup \(record.id) — \(record.bytes) bytes (\(record.compressedBytes) gzip), sha256 \(record.sha256.prefix(12))…, "
                      + "integrity ok, \(String(format: "%.1f", seconds)) s" + (removed.isEmpty ? "" : "; removed \(removed.count) older (keep \(keep))"))
            case .failure(let error):
                failures += 1
                Stderr.write("\(instance.slug): backup failed: \(error)")
            }
        }
        throw fleetExitCode(failures: failures, total: instances.count)
    }
}

struct BackupList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the backups kept for a client, newest first.",
                                                    discussion: "Example: maictl backup list acme -o json")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Argument(help: ArgumentHelp("The client (its slug).", valueName: "client")) var client: String
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table

    func run() throws {
        let state: StateDirectory
        do {
            state = try StateDirectory(environment: ProcessInfo.processInfo.environment)
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(1)
        }
        let records: [BackupRecord]
        do {
            records = try BackupStore(state: state).list(client)
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(64)
        }
        switch format {
        case .json:
            print(try resultJSON(records))
        case .table:
            guard !records.isEmpty else {
                Stderr.write("No backups of \(client) yet: maictl backup \(client)")
                return
            }
            var table = Table(columns: [.init("id"), .init("taken (UTC)"), .init("bytes", alignment: .right), .init("gzip", alignment: .right),
                                        .init("sha256"), .init("schema"), .init("reason")])
            let formatter = ISO8601DateFormatter()
            for record in records {
                table.append([record.id, formatter.string(from: record.createdAt), String(record.bytes), String(record.compressedBytes),
                              String(record.sha256.prefix(12)), record.schema, record.reason])
            }
            print(table.render(), terminator: "")
        }
    }
}
