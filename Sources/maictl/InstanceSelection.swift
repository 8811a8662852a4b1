import ArgumentParser
import Foundation
import MaiFleet

/// `--only a,b`, `--parallel N` and the fleet directory, shared by the commands that reach instances.
struct InstanceSelection: ParsableArguments {
    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("Only these clients (comma-separated slugs).", valueName: "slugs"))
    var only: String?

    @Option(help: "How many instances to work on at once.")
    var parallel: Int = 8

    func validate() throws {
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel must be from 1 to 64.") }
    }

    /// The enabled instances selected, or exit 64 with the fleet files' problems.
    func instances() throws -> [Instance] {
        let loaded: Fleet
        do {
            loaded = try FleetLoader(directory: fleet.directoryURL, displayPath: fleet.directory).load()
        } catch {
            Stderr.write(error.description)
            Stderr.write("Fix the fleet files (maictl fleet validate) and try again.")
            throw ExitCode(64)
        }
        var instances = loaded.instances.filter { !$0.disabled }
        if let only {
            let wanted = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            let unknown = wanted.subtracting(instances.map(\.slug))
            guard unknown.isEmpty else {
                Stderr.write("No enabled client named \(unknown.sorted().joined(separator: ", ")) in \(fleet.directory)/.")
                throw ExitCode(64)
            }
            instances = instances.filter { wanted.contains($0.slug) }
        }
        return instances
    }

    func connector() throws -> FleetConnector {
        do {
            return try FleetConnector.fromEnvironment(passphrasePrompt: TerminalPrompt.passphrase)
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(1)
        }
    }
}

/// The exit code for a fleet-wide command: 0 all ok, 2 some failed, 1 all failed.
func fleetExitCode(failures: Int, total: Int) -> ExitCode {
    failures == 0 ? .success : (failures == total ? ExitCode(1) : ExitCode(2))
}

extension InstanceSelection {
    /// The check of the commands that take `<client>` or `--all` (keys create/rotate/sync, bootstrap).
    func checkClient(_ client: String?, all: Bool) throws {
        guard (client != nil) != all else { throw ValidationError("Name one client, or pass --all.") }
        if client != nil, only != nil { throw ValidationError("Use either a client name or --only, not both.") }
    }

    /// The selected enabled instances, or only `client` when one is named; exit 64 when there is no
    /// enabled client of that name.
    func instances(onlyClient client: String?) throws -> [Instance] {
        let instances = try self.instances()
        guard let client else { return instances }
        guard let instance = instances.first(where: { $0.slug == client }) else {
            Stderr.write("No enabled client named \(client) in \(fleet.directory)/.")
            throw ExitCode(64)
        }
        return [instance]
    }
}
