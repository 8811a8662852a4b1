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
    /// Inserts, or replaces the row with the same id (the roll-up triggers apply the difference),
    /// keeping the day it was first booked on and any confirmation that arrived meanwhile.
    func save(_ record: GenerationRecord) async throws
    /// Records the provider's generation id, learned from the response head.
    func named(id: String, upstreamID: String) async throws
    /// The provider turned the request down before it began: nothing spent, nothing counted.
    func refused(id: String, reason: String) async throws
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
            guard let existing = try GenerationRecord.fetchOne(db, key: record.id) else {
                try record.insert(db)
                return
            }
            var kept = record
            // The day (and so the roll-up cell) is the request's start, fixed when the row was
            // first written: a stream that crosses midnight stays on the day it began.
            kept.createdAt = existing.createdAt
            kept.upstreamID = record.upstreamID ?? existing.upstreamID
            // Confirmation may have run meanwhile (a long answer): OpenRouter's figures win.
            if existing.status == GenerationStatus.confirmed.rawValue {
                kept.status = existing.status
                kept.confirmedCostNanos = existing.confirmedCostNanos
                kept.confirmedAt = existing.confirmedAt
                kept.promptTokens = existing.promptTokens
                kept.completionTokens = existing.completionTokens
                kept.tokensEstimated = existing.tokensEstimated
                kept.nativePromptTokens = existing.nativePromptTokens
                kept.nativeCompletionTokens = existing.nativeCompletionTokens
                kept.providerName = existing.providerName
                kept.attempts = existing.attempts
                kept.nextAttemptAt = existing.nextAttemptAt
                kept.lastError = existing.lastError
                kept.createdAt = existing.createdAt
            }
            try kept.update(db)
        }
    }

    func named(id: String, upstreamID: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE generations SET upstream_id = ? WHERE id = ? AND upstream_id IS NULL", arguments: [upstreamID, id])
        }
    }

    func refused(id: String, reason: String) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE generations SET status = 'refused', finish_reason = 'error', completion_tokens = 0, next_attempt_at = ?,
                       last_error = ?
                WHERE id = ? AND status IN ('provisional', 'estimated', 'unverified')
                """, arguments: [Int64.max, String(reason.prefix(300)), id])
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
