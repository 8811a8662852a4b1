import ArgumentParser
import MaiFleet

/// `maictl exec <client> -- CMD…`: a command inside the serving container (as its user, uid 10001).
struct ExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in the agent's container on a client's host: maictl exec acme -- mai-agent version",
        discussion: """
            The command's output is streamed back and its exit status becomes maictl's. No terminal is \
            allocated; use maictl ssh for an interactive shell.

            Example: maictl exec acme -- mai-agent migrate
            """)

    @OptionGroup var host: SingleHost
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("Give the command after --, e.g. maictl exec acme -- mai-agent version") }
    }

    func run() async throws {
        let status = try await host.stream(EngineCommands(engine: host.engine).exec(command))
        if status != 0 { throw ExitCode(status) }
    }
}
