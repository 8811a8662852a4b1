import ArgumentParser
import Foundation
import MaiCore

/// `mai-agent`: the web application one client's employees use, on its own server.
@main
struct MaiAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mai-agent",
        abstract: "The mAI agent: private AI chat for one company, on its own server.",
        discussion: "Configuration comes from the environment (PORT, HOST, DATA_DIR, WEBUI_SECRET_KEY, …); see the README.",
        version: MaiVersion.current,
        subcommands: [Serve.self, Migrate.self, UserCommand.self, UsageCommand.self, HealthCheck.self, BackupCommand.self, Version.self],
        defaultSubcommand: Serve.self
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the agent's version.")

    func run() {
        print(MaiVersion.current)
    }
}
