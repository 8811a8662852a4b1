import ArgumentParser
import Foundation
import MaiAgent

/// `mai-agent migrate`: apply pending database migrations and exit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations, then exit.")

    func run() async throws {
        let config = Startup.config()
        let dataDirectory: DataDirectory
        do {
            dataDirectory = try DataDirectory(preparing: config.dataDirectory)
        } catch {
            Startup.fail(error)
        }
        _ = dataDirectory
        let database = try AgentDatabase(path: config.databasePath)
        let before = try database.appliedMigrations()
        try database.migrate()
        let after = try database.appliedMigrations()
        let applied = after.filter { !before.contains($0) }
        print(applied.isEmpty
              ? "Database \(config.databasePath) is up to date (\(after.count) migrations)."
              : "Applied \(applied.count) migration(s) to \(config.databasePath): \(applied.joined(separator: ", ")).")
    }
}
