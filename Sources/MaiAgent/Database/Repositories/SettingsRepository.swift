import GRDB

/// The settings an admin stored; they win over the environment.
public protocol SettingsRepository: Sendable {
    /// Every stored value by key.
    func storedValues() async throws -> [String: String]
    /// Stores `values` in one transaction.
    func store(_ values: [String: String], by userID: String?, now: Int64) async throws
}

/// `SettingsRepository` on the agent's SQLite database.
public struct SQLiteSettingsRepository: SettingsRepository {
    let pool: DatabasePool

    public init(pool: DatabasePool) {
        self.pool = pool
    }

    public func storedValues() async throws -> [String: String] {
        try await pool.read { db in try Self.storedValues(db) }
    }

    public func store(_ values: [String: String], by userID: String?, now: Int64) async throws {
        try await pool.write { db in
            for (key, value) in values {
                try SettingRecord(key: key, value: value, updatedAt: now, updatedBy: userID).save(db)
            }
        }
    }

    static func storedValues(_ db: Database) throws -> [String: String] {
        var values: [String: String] = [:]
        for record in try SettingRecord.fetchAll(db) { values[record.key] = record.value }
        return values
    }
}
