import ArgumentParser
import Foundation
import MaiFleet

/// Reaching one client's host: the shared part of `logs`, `exec` and `ssh`.
struct SingleHost: ParsableArguments {
    @Argument(help: "The client (slug).") var client: String
    @OptionGroup var fleet: FleetOptions
    @Option(help: ArgumentHelp("Container engine on the host.", valueName: "podman|docker"))
    var engine: String = ProcessInfo.processInfo.environment["MAICTL_ENGINE"] ?? "podman"

    func validate() throws {
        guard ["podman", "docker"].contains(engine) else { throw ValidationError("--engine must be podman or docker.") }
    }

    func instance() throws -> (Instance, FleetConnector) {
        let selection = InstanceSelection.make(fleet: fleet, only: client)
        guard let instance = try selection.instances().first else { throw ExitCode(64) }
        return (instance, try selection.connector())
    }

    /// Runs `command` on the host, streaming its output to ours; returns its exit status.
    func stream(_ command: RemoteCommand) async throws -> Int32 {
        let (instance, connector) = try instance()
        do {
            // The session is closed before maictl exits, after a result and after an error alike.
            return try await connector.withSession(instance) { session in
                try await session.execStreaming(command) { data, isError in
                    (isError ? FileHandle.standardError : FileHandle.standardOutput).write(data)
                }
            }
        } catch {
            Stderr.write("maictl: \(instance.slug): \(error)")
            throw ExitCode(1)
        }
    }
}
