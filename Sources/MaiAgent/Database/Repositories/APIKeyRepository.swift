import GRDB

/// Per-user API keys (one per user, as in Open WebUI), stored hashed.
public protocol APIKeyRepository: Sendable {
    /// Stores `key` as the user's only key, replacing any earlier one.
    func replace(_ key: APIKeyRecord) async throws
    /// The user's key, if any.
    func find(userID: String) async throws -> APIKeyRecord?
    /// The active owner of the key with this hash, recording its use.
    func owner(keyHash: String, now: Int64) async throws -> UserRecord?
    /// Removes the user's key; returns whether there was one.
    func delete(userID: String) async throws -> Bool
}

/// `APIKeyRepository` on the agent's SQLite database.
public struct SQLiteAPIKeyRepository: APIKeyRepository {
    let pool: DatabasePool

    public init(pool: DatabasePool) {
        self.pool = pool
    }

    public func replace(_ key: APIKeyRecord) async throws {
        try await pool.write { db in
            try APIKeyRecord.filter(APIKeyRecord.CodingKeys.userID == key.userID).deleteAll(db)
            try key.insert(db)
        }
    }

    public func find(userID: String) async throws -> APIKeyRecord? {
        try await pool.read { db in
            try APIKeyRecord.filter(APIKeyRecord.CodingKeys.userID == userID).fetchOne(db)
        }
    }

    public func owner(keyHash: String, now: Int64) async throws -> UserRecord? {
        let found = try await pool.read { db -> (UserRecord, Int64?)? in
            guard let key = try APIKeyRecord.filter(APIKeyRecord.CodingKeys.keyHash == keyHash).fetchOne(db),
                  let user = try UserRecord.fetchOne(db, key: key.userID), user.isActive
            else { return nil }
            return (user, key.lastUsedAt)
        }
        guard let (user, lastUsed) = found else { return nil }
        // Write the "last used" time at most once a minute: reads stay cheap under load.
        if (lastUsed ?? 0) < now - 60 {
            try await pool.write { db in
                try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE key_hash = ?", arguments: [now, keyHash])
            }
        }
        return user
    }

    public func delete(userID: String) async throws -> Bool {
        try await pool.write { db in
            try APIKeyRecord.filter(APIKeyRecord.CodingKeys.userID == userID).deleteAll(db) > 0
        }
    }
}
