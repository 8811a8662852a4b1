import ArgumentParser
import Foundation
import MaiFleet

/// `maictl rollback`: deploys, per client, the version it ran before (from the local ledger), or
/// `--to V` — the same locked, health-checked, zero-downtime path as `deploy`.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Go back to each client's previous version (from the ledger), or to --to V.",
        discussion: """
            Name the clients, or pass --all for every enabled client that has a previous version in the \
            ledger. What would change is listed first and, on a terminal, confirmed (--yes for scripts: \
            without a terminal and without --yes nothing runs). Canary first, then batches, as deploy \
            does ([deploy] batch in fleet.toml, or --batch). The image is usually still on the host \
            (deploy keeps the last --keep-images versions); otherwise pass --push-image or make sure the \
            host can pull it. Exit codes as for deploy.

            Example: maictl rollback acme --to 0.1.0
            Example: maictl rollback --all --yes
            """
    )

    @Argument(help: "Clients to roll back (slugs).") var clients: [String] = []
    @Flag(help: "Roll back every enabled client that has a previous version.") var all = false
    @Flag(help: "Do not ask for confirmation (for scripts; needed without a terminal).") var yes = false
    @OptionGroup var fleet: FleetOptions
    @OptionGroup var rollout: RolloutOptions
    @Option(help: ArgumentHelp("The version to go back to (default: each client's previous one).", valueName: "V")) var to: String?
    @Option(help: "How many instances to work on at once.") var parallel: Int = 8

    func validate() throws {
        guard all != !clients.isEmpty else {
            throw ValidationError("Name the clients to roll back, or pass --all (not both): a rollback changes what clients run.")
        }
        try rollout.check()
        if let to { guard RolloutOptions.isTag(to) else { throw ValidationError("--to must be an image tag.") } }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be from 1 to 64.") }
    }

    func run() async throws {
        let selection = InstanceSelection.make(fleet: fleet, only: clients.isEmpty ? nil : clients.joined(separator: ","), parallel: parallel)
        var instances = try selection.instances()
        let connector = try selection.connector()
        let ledger = try LedgerFile(stateDirectory: connector.state.url).load()
        var versions: [String: String] = [:]
        var missing: [String] = []
        for instance in instances {
            if let to {
                versions[instance.slug] = to
            } else if let previous = ledger.previous(instance.slug) {
                versions[instance.slug] = previous
            } else {
                missing.append(instance.slug)
            }
        }
        if !missing.isEmpty {
            if !clients.isEmpty {
                Stderr.write("No previous version in the ledger for \(missing.joined(separator: ", ")); name one with --to V.")
                throw ExitCode(64)
            }
            Stderr.write("Skipping \(missing.joined(separator: ", ")): no previous version in the ledger.")
            instances.removeAll { missing.contains($0.slug) }
        }
        for instance in instances {
            Stderr.write("\(instance.slug): \(ledger.current(instance.slug) ?? "?") → \(versions[instance.slug]!)")
        }
        if !instances.isEmpty && !yes && !rollout.dryRun {
            switch TerminalPrompt.confirm("Roll back \(instances.count) client(s) as listed above? [y/N] ") {
            case true?: break
            case false?:
                Stderr.write("Nothing was rolled back.")
                throw ExitCode(1)
            case nil:
                Stderr.write("maictl rollback asks before it changes what clients run, and there is no terminal to ask on: pass --yes.")
                throw ExitCode(64)
            }
        }
        // The same canary and batches as deploy.
        let defaults = (try? FleetLoader(directory: fleet.directoryURL, displayPath: fleet.directory).load().defaults.deploy) ?? FleetDefaults.Deploy()
        let code = try await rollout.execute(instances: instances, versions: versions, kind: "rollback", selection: selection, defaults: defaults)
        if code != 0 { throw ExitCode(code) }
    }
}
