import ArgumentParser
import MaiFleet

/// `maictl logs <client>`: the serving container's log.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Show (or follow, -f) the agent's log on a client's host.",
                                                    discussion: "Example: maictl logs acme --since 10m -f")

    @OptionGroup var host: SingleHost
    @Flag(name: .shortAndLong, help: "Keep printing new lines until interrupted.") var follow = false
    @Option(name: [.customShort("n"), .long], help: "The last N lines.") var lines: Int?
    @Option(help: ArgumentHelp("Only lines since this time or duration (e.g. 10m, 2026-01-02T03:04:05Z).", valueName: "when")) var since: String?

    func validate() throws {
        if let lines { guard lines >= 0 else { throw ValidationError("-n must be 0 or more.") } }
        if let since {
            guard !since.isEmpty, !since.hasPrefix("-"), since.allSatisfy({ $0.isLetter || $0.isNumber || ":-.+TZ".contains($0) }) else {
                throw ValidationError("--since must be a duration (10m, 2h) or a time (2026-01-02T03:04:05Z).")
            }
        }
    }

    func run() async throws {
        let command = EngineCommands(engine: host.engine).logs(follow: follow, lines: lines ?? (follow ? 50 : 200), since: since)
        let status = try await host.stream(command)
        if status != 0 { throw ExitCode(status) }
    }
}
