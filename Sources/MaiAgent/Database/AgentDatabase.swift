import Foundation
import GRDB

/// The agent's one SQLite database: WAL, foreign keys, a busy timeout, forward-only migrations.
public struct AgentDatabase: Sendable {
    /// The connection pool (one writer, concurrent readers).
    public let pool: DatabasePool

    /// Opens (creating if needed) the database at `path`. Does not migrate; call `migrate()`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        self.pool = try DatabasePool(path: path, configuration: configuration)
    }

    /// Applies every migration not yet applied. Safe to call on every start.
    public func migrate() throws {
        try AgentMigrations.migrator.migrate(pool)
    }

    /// Identifiers of the migrations applied to this database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try AgentMigrations.migrator.appliedMigrations(db) }
    }

    /// Whether the database answers a trivial query and passes `PRAGMA quick_check`.
    public func check() async throws -> String {
        try await pool.read { db in
            try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "no answer"
        }
    }
}
