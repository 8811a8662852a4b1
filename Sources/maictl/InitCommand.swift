import ArgumentParser
import Foundation
import MaiFleet

/// `maictl init [--fleet DIR] [--force]`: writes a commented starter fleet that passes validation.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter fleet (fleet.toml and one example client).",
        discussion: """
            Refuses to overwrite existing files unless --force is given.

            Example: maictl init --fleet fleet && maictl fleet validate --fleet fleet
            """
    )

    @OptionGroup var fleet: FleetOptions

    @Flag(help: "Overwrite fleet.toml and clients/example.toml if they exist.")
    var force = false

    func run() async throws {
        do {
            try StarterFleet.write(to: fleet.directoryURL, force: force)
        } catch {
            Stderr.write("maictl init: \(error.description)")
            if case .wouldOverwrite = error { throw ExitCode(64) }
            throw ExitCode.failure
        }
        let dir = fleet.directory
        Stderr.write("""
            Wrote \(StarterFleet.files.map { "\(dir)/\($0.path)" }.joined(separator: " and ")).
            Next steps:
              1. Edit \(dir)/fleet.toml: your SSH key names, firewall sources, operator e-mail.
              2. Copy \(dir)/clients/example.toml to \(dir)/clients/<slug>.toml for each client and edit it.
              3. Export HCLOUD_TOKEN and OPENROUTER_MANAGEMENT_KEY (never write them into \(dir)/).
              4. Run: maictl fleet validate --fleet \(dir)
            """)
    }
}
