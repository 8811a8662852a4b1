import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl fleet …`: commands about the fleet files themselves.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Check the fleet files.",
        subcommands: [ValidateCommand.self]
    )
}

/// `maictl fleet validate [--fleet DIR] [-o table|json]`: reads and checks every fleet file and
/// prints the resolved clients; lists every problem on stderr and exits 64 when invalid.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check fleet.toml and clients/*.toml and show the resolved clients.",
        discussion: """
            Prints one row per client with the defaults of fleet.toml applied. When the files are
            invalid, every problem is listed on stderr as file:line: field: message and the exit
            code is 64.

            Example: maictl fleet validate --fleet fleet -o json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @OptionGroup var fleet: FleetOptions

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: table or json.")
    var format: Format = .table

    func run() async throws {
        let loader = FleetLoader(directory: fleet.directoryURL, displayPath: fleet.directory)
        let loaded: Fleet
        do {
            loaded = try loader.load()
        } catch {
            Stderr.write(error.description)
            Stderr.write("\(error.problems.count) problem\(error.problems.count == 1 ? "" : "s") in \(fleet.directory)/ — fix them and run `maictl fleet validate` again.")
            throw ExitCode(64)
        }
        switch format {
        case .table:
            print(loaded.clientTable.render(), terminator: "")
        case .json:
            print(try loaded.instancesJSON(), terminator: "")
        }
        let disabled = loaded.clients.filter(\.disabled).count
        Stderr.write("\(fleet.directory)/ is valid: \(loaded.clients.count) client\(loaded.clients.count == 1 ? "" : "s")\(disabled > 0 ? " (\(disabled) disabled)" : "").")
    }
}

/// `--fleet DIR`, shared by every command that reads the fleet files.
struct FleetOptions: ParsableArguments {
    @Option(name: .customLong("fleet"), help: ArgumentHelp("The fleet directory.", valueName: "dir"))
    var directory: String = "fleet"

    var directoryURL: URL {
        URL(fileURLWithPath: (directory as NSString).expandingTildeInPath, isDirectory: true)
    }
}
