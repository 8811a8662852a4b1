import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl restore <client> --from <id> --yes`.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace a client's database with one of its backups (the agent restarts).",
        discussion: """
            Checks the backup again, keeps a fresh backup of the current database (unless
            --no-safety-backup), uploads the snapshot; the agent verifies it, stages it, stops, and on its
            next start keeps the current database as webui.db.before-restore-<time> and swaps the snapshot
            in. The agent must run under a supervisor that starts it again (podman --restart=always,
            systemd, the test fleet's loop). maictl then waits for the new process's status and health.
            Refuses to run without --yes, and without a terminal unless --yes is given.
            Example: maictl restore acme --from 20261126T224800Z --yes
            """
    )

    @Argument(help: ArgumentHelp("The client (its slug).", valueName: "client")) var client: String
    @Option(help: ArgumentHelp("The backup to restore (maictl backup list <client>).", valueName: "id")) var from: String
    @Option(help: ArgumentHelp("Take the backup from this client's backups (moving data to a fresh instance); default: the client itself.", valueName: "slug"))
    var source: String?
    @Flag(help: "Confirm that the client's current database is replaced.") var yes = false
    @Flag(help: "Do not take a backup of the current database first.") var noSafetyBackup = false
    @Option(help: "Seconds to wait for the agent to come back.") var waitSeconds: Int = 180
    @OptionGroup var selection: InstanceSelection

    func run() async throws {
        guard yes else {
            Stderr.write("maictl restore replaces \(client)'s database (users, chats, usage books) with backup \(from).")
            Stderr.write(isatty(STDIN_FILENO) == 1
                ? "Run it again with --yes to confirm."
                : "Not on a terminal: pass --yes to confirm.")
            throw ExitCode(64)
        }
        let instances = try selection.instances()
        guard let instance = instances.first(where: { $0.slug == client }) else {
            Stderr.write("No enabled client named \(client) in \(selection.fleet.directory)/.")
            throw ExitCode(64)
        }
        let connector = try selection.connector()
        let store = BackupStore(state: connector.state)
        do {
            _ = try store.record(source ?? client, id: from)
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(64)
        }
        let waitSeconds = self.waitSeconds
        let safety = !noSafetyBackup
        let slug = client
        let id = from
        let source = self.source
        do {
            let report = try await connector.withAdminAPI(instance) { api, _ in
                try await BackupOperations.restore(api, slug: slug, source: source, id: id, store: store, safetyBackup: safety,
                                                   waitTimeout: .seconds(waitSeconds)) { Stderr.write("\(slug): \($0)") }
            }
            if let copy = report.safetyBackup { print("\(slug): kept the replaced database as backup \(copy.id)") }
            print("\(slug): restored \(report.restored.id) (\(report.restored.bytes) bytes, schema \(report.staged.schema)); "
                  + "agent restarted at \(ISO8601DateFormatter().string(from: report.startedAt)), healthy, \(report.users) users. "
                  + "The agent also keeps the old file as \(report.staged.keptAs).")
        } catch {
            Stderr.write("\(slug): restore failed: \(error)")
            throw ExitCode(1)
        }
    }
}
