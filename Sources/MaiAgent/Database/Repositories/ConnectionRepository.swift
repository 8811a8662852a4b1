import GRDB

/// Stored provider connections.
protocol ConnectionRepository: Sendable {
    func all() async throws -> [ConnectionRecord]
    func save(_ record: ConnectionRecord) async throws
    /// Returns whether a row was deleted.
    func delete(id: String) async throws -> Bool
}

/// `ConnectionRepository` on the agent's SQLite database.
struct SQLiteConnectionRepository: ConnectionRepository {
    let pool: DatabasePool

    func all() async throws -> [ConnectionRecord] {
        try await pool.read { db in try ConnectionRecord.order(ConnectionRecord.CodingKeys.createdAt).fetchAll(db) }
    }

    func save(_ record: ConnectionRecord) async throws {
        try await pool.write { db in try record.save(db) }
    }

    func delete(id: String) async throws -> Bool {
        try await pool.write { db in try ConnectionRecord.deleteOne(db, key: id) }
    }
}

/// Recorded completions.
protocol GenerationRepository: Sendable {
    func insert(_ record: GenerationRecord) async throws
    /// Newest first, for one user or everyone.
    func recent(userID: String?, limit: Int) async throws -> [GenerationRecord]
}

/// `GenerationRepository` on the agent's SQLite database.
struct SQLiteGenerationRepository: GenerationRepository {
    let pool: DatabasePool

    func insert(_ record: GenerationRecord) async throws {
        try await pool.write { db in try record.insert(db) }
    }

    func recent(userID: String?, limit: Int) async throws -> [GenerationRecord] {
        try await pool.read { db in
            var request = GenerationRecord.order(GenerationRecord.CodingKeys.createdAt.desc)
            if let userID { request = request.filter(GenerationRecord.CodingKeys.userID == userID) }
            return try request.limit(limit).fetchAll(db)
        }
    }
}
