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
    /// Inserts, or replaces the row with the same id (the roll-up triggers apply the difference).
    func save(_ record: GenerationRecord) async throws
    /// Newest first, for one user or everyone.
    func recent(userID: String?, limit: Int) async throws -> [GenerationRecord]
}

/// `GenerationRepository` on the agent's SQLite database.
struct SQLiteGenerationRepository: GenerationRepository {
    let pool: DatabasePool

    func insert(_ record: GenerationRecord) async throws {
        try await pool.write { db in try record.insert(db) }
    }

    func save(_ record: GenerationRecord) async throws {
        try await pool.write { db in
            // Confirmation may have run meanwhile (a long answer): never undo a final state.
            if let existing = try GenerationRecord.fetchOne(db, key: record.id), existing.status != GenerationStatus.provisional.rawValue || existing.confirmedCostNanos != nil {
                var kept = record
                kept.status = existing.status
                kept.confirmedCostNanos = existing.confirmedCostNanos
                kept.confirmedAt = existing.confirmedAt
                kept.attempts = existing.attempts
                kept.nextAttemptAt = existing.nextAttemptAt
                kept.nativePromptTokens = existing.nativePromptTokens
                kept.nativeCompletionTokens = existing.nativeCompletionTokens
                kept.providerName = existing.providerName
                try kept.update(db)
            } else {
                try record.save(db)
            }
        }
    }

    func recent(userID: String?, limit: Int) async throws -> [GenerationRecord] {
        try await pool.read { db in
            var request = GenerationRecord.order(GenerationRecord.CodingKeys.createdAt.desc)
            if let userID { request = request.filter(GenerationRecord.CodingKeys.userID == userID) }
            return try request.limit(limit).fetchAll(db)
        }
    }
}
