import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl deprovision <client> --yes`: final backup, then delete the server and forget its host key.
struct DeprovisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deprovision",
        abstract: "Delete a client's server after a final backup; forget its host key and address.",
        discussion: """
            First downloads the agent's backup (GET /admin/v1/backup over the admin tunnel) into \
            <state>/instances/<client>/backups/final-<time>.backup; if that fails nothing is deleted. An \
            agent without the backup endpoint (404) is refused unless --skip-backup. Then the server \
            labelled mai/client=<client> is deleted, and its pinned host key and server record are removed. \
            The client file stays: delete it yourself when the client is gone for good.
            Without --yes, asks you to type the client's name (only on a terminal; otherwise refuses).
            Exit codes: 0 deleted (or nothing to delete), 1 failed or aborted, 64 bad arguments.

            Example: maictl deprovision acme --yes
            """
    )

    @OptionGroup var setup: ProvisioningOptions
    @Argument(help: ArgumentHelp("The client (slug) whose server is deleted.", valueName: "client")) var client: String
    @Flag(help: "Delete without asking.") var yes = false
    @Flag(name: .customLong("skip-backup"), help: "Delete without taking a final backup (the data is lost).") var skipBackup = false

    func run() async throws {
        if !yes {
            guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else {
                Stderr.write("maictl deprovision: deleting \(client)'s server needs --yes when not run on a terminal.")
                throw ExitCode(64)
            }
            StandardError.write("Delete \(client)'s server\(skipBackup ? " WITHOUT a backup" : " after a final backup")? Type \(client) to confirm: ")
            guard readLine()?.trimmingCharacters(in: .whitespaces) == client else {
                Stderr.write("maictl deprovision: not confirmed; nothing was deleted.")
                throw ExitCode(1)
            }
        }
        let context = try setup.context(clients: [client], includeDisabled: true)
        let instance = context.selected[0]
        var backup: (@Sendable (Instance) async throws -> URL)?
        if !skipBackup {
            do {
                let finalBackup = FinalBackup(connector: try FleetConnector.fromEnvironment())
                backup = { try await finalBackup.take($0) }
            } catch {
                Stderr.write("maictl deprovision: \(error) — needed for the final backup (or pass --skip-backup).")
                throw ExitCode(1)
            }
        }
        let deprovisioner = Deprovisioner(client: context.provisioner.client, state: context.state, knownHosts: context.knownHosts,
                                          backup: backup, progress: { Stderr.write($0) })
        do {
            let outcome = try await deprovisioner.deprovision(instance)
            let columns: [(String, (Deprovisioner.Outcome) -> String)] = [
                ("client", \.client), ("result", \.result), ("server", { $0.serverID.map(String.init) ?? "" }), ("backup", { $0.backup ?? "" }),
            ]
            setup.print([outcome], columns: columns)
        } catch {
            Stderr.write("maictl deprovision: \(client): \(error)")
            Stderr.write("Nothing was deleted unless a line above says so.")
            throw ExitCode(1)
        }
    }
}
