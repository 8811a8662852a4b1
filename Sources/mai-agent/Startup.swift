import Foundation
import MaiCore
import Logging
import MaiAgent

/// Reads the configuration and opens the services the way every subcommand needs them,
/// turning a configuration error into one line on stderr and exit code 78 (EX_CONFIG).
enum Startup {
    static func config() -> AgentConfig {
        // The database and key files hold password hashes and secrets: owner-only from birth.
        umask(0o077)
        do {
            return try AgentConfig(environment: ProcessInfo.processInfo.environment)
        } catch {
            fail(error)
        }
    }

    static func services(_ config: AgentConfig, logger: Logger) async -> AgentServices {
        do {
            return try await AgentServices(config: config, environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch let error as ConfigError {
            fail(error)
        } catch {
            StandardError.write("mai-agent: cannot open the database at \(config.databasePath): \(error)\n")
            exit(1)
        }
    }

    static func fail(_ error: ConfigError) -> Never {
        StandardError.write("mai-agent: invalid configuration: \(error)\n")
        exit(78)
    }

    static func bootstrapLogging(_ config: AgentConfig) -> Logger {
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        let json = config.mode == .prod
        LoggingSystem.bootstrap { label in AgentLogHandler(label: label, level: level, json: json) }
        return Logger(label: "mai.agent")
    }
}
