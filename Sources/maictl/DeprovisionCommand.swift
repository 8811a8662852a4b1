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
            Last, the client's OpenRouter keys are disabled (PATCH disabled=true): the key its agent used \
            (asked before the server goes), and every key of its key history not yet deleted — only keys \
            named mai-<client>-<day>; a shared key is left enabled and named. This needs \
            OPENROUTER_MANAGEMENT_KEY: without it (or if OpenRouter refuses it) nothing is deleted, unless \
            --keep-key leaves the keys enabled. If disabling fails after the server is gone, the key still \
            enabled is named with the command that finishes the job: maictl keys disable <client>. \
            The client file stays: delete it yourself when the client is gone for good.
            Without --yes, asks you to type the client's name (only on a terminal; otherwise refuses).
            Exit codes: 0 deleted (or nothing to delete) and keys disabled, 2 deleted but a key is still \
            enabled, 1 failed or aborted, 64 bad arguments.

            Example: maictl deprovision acme --yes
            """
    )

    @OptionGroup var setup: ProvisioningOptions
    @Argument(help: ArgumentHelp("The client (slug) whose server is deleted.", valueName: "client")) var client: String
    @Flag(help: "Delete without asking.") var yes = false
    @Flag(name: .customLong("skip-backup"), help: "Delete without taking a final backup (the data is lost).") var skipBackup = false
    @Flag(name: .customLong("keep-key"), help: "Leave the client's OpenRouter keys enabled (disable them later with maictl keys disable).")
    var keepKey = false

    func run() async throws {
        // The keys are disabled after the server is gone: make sure that can happen before anything is deleted.
        var management: OpenRouterManagementClient?
        if !keepKey {
            do {
                management = try OpenRouterManagementClient.fromEnvironment()
            } catch {
                Stderr.write("maictl deprovision: \(error). Deprovision disables \(client)'s OpenRouter key once its server is gone, "
                             + "which needs the management key; nothing was deleted. Or pass --keep-key to leave the key enabled "
                             + "(disable it later with maictl keys disable \(client)).")
                throw ExitCode(1)
            }
        }
        if !yes {
            guard isatty(STDIN_FILENO) == 1, isatty(STDERR_FILENO) == 1 else {
                Stderr.write("maictl deprovision: deleting \(client)'s server needs --yes when not run on a terminal.")
                throw ExitCode(64)
            }
            StandardError.write("Delete \(client)'s server\(skipBackup ? " WITHOUT a backup" : " after a final backup")"
                                + "\(keepKey ? "" : " and disable its OpenRouter keys")? Type \(client) to confirm: ")
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
        var keys: Deprovisioner.Keys?
        if let management {
            let audit = LocalAuditLog(stateDirectory: context.state.url)
            let connector = try? FleetConnector.fromEnvironment()
            keys = Deprovisioner.Keys(
                management: management, store: KeyRotationStore(state: context.state),
                agentKey: { instance in
                    guard let connector else { throw OpenRouterAPIError.invalidRequest("no SSH credentials to reach the agent") }
                    return try await connector.withAdminAPI(instance) { agent, _ in try await agent.openRouterKey() }
                },
                audit: { audit.append($0) }, actor: LockHolder.current(message: "").holder)
        }
        let deprovisioner = Deprovisioner(client: context.provisioner.client, state: context.state, knownHosts: context.knownHosts,
                                          backup: backup, keys: keys, progress: { Stderr.write($0) })
        let outcome: Deprovisioner.Outcome
        do {
            outcome = try await deprovisioner.deprovision(instance)
        } catch {
            Stderr.write("maictl deprovision: \(client): \(error)")
            Stderr.write("Nothing was deleted unless a line above says so.")
            throw ExitCode(1)
        }
        let columns: [(String, (Deprovisioner.Outcome) -> String)] = [
            ("client", \.client), ("result", \.result), ("server", { $0.serverID.map(String.init) ?? "" }), ("backup", { $0.backup ?? "" }),
            ("openrouter keys", \.keySummary),
        ]
        setup.print([outcome], columns: columns)
        guard let report = outcome.keys, !report.finished else { return }
        report.problems.forEach { Stderr.write("maictl deprovision: " + $0) }
        throw ExitCode(2)
    }
}
