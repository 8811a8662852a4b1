import GRDB

/// `SessionRepository` on the agent's SQLite database.
public struct SQLiteSessionRepository: SessionRepository {
    let pool: DatabasePool

    public init(pool: DatabasePool) {
        self.pool = pool
    }

    public func start(_ session: SessionRecord, firstToken: RefreshTokenRecord) async throws {
        try await pool.write { db in
            try session.insert(db)
            try firstToken.insert(db)
        }
    }

    public func rotate(tokenHash: String, next: @Sendable (SessionRecord) -> RefreshTokenRecord, now: Int64) async throws -> RefreshOutcome {
        try await pool.write { db in
            guard var token = try RefreshTokenRecord.fetchOne(db, key: tokenHash),
                  var session = try SessionRecord.fetchOne(db, key: token.sessionID)
            else { return .invalid }
            if token.usedAt != nil {
                // A spent token came back: someone holds a copy. End the whole family.
                if session.revokedAt == nil {
                    session.revokedAt = now
                    session.revokedReason = "refresh token reused"
                    try session.update(db)
                }
                return .reused
            }
            guard session.revokedAt == nil, token.expiresAt > now, session.expiresAt > now,
                  let user = try UserRecord.fetchOne(db, key: session.userID), user.isActive
            else { return .invalid }
            token.usedAt = now
            try token.update(db)
            let replacement = next(session)
            try replacement.insert(db)
            return .rotated(session: session, user: user, token: replacement)
        }
    }

    public func liveSession(id: String, userID: String, now: Int64) async throws -> UserRecord? {
        try await pool.read { db in
            try UserRecord.fetchOne(
                db,
                sql: """
                    SELECT users.* FROM auth_sessions JOIN users ON users.id = auth_sessions.user_id
                    WHERE auth_sessions.id = ? AND auth_sessions.user_id = ?
                      AND auth_sessions.revoked_at IS NULL AND auth_sessions.expires_at > ?
                      AND users.is_active = 1
                    """,
                arguments: [id, userID, now]
            )
        }
    }

    public func find(id: String) async throws -> SessionRecord? {
        try await pool.read { db in try SessionRecord.fetchOne(db, key: id) }
    }

    public func sessionID(forTokenHash hash: String) async throws -> String? {
        try await pool.read { db in try RefreshTokenRecord.fetchOne(db, key: hash)?.sessionID }
    }

    public func revoke(sessionID: String, reason: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE auth_sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [now, reason, sessionID]
            )
        }
    }

    public func hasSignedIn(userID: String, from address: String) async throws -> Bool {
        guard !address.isEmpty else { return false }
        return try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM auth_sessions WHERE user_id = ? AND client_address = ?)",
                              arguments: [userID, address]) ?? false
        }
    }

    public func revokeAll(userID: String, reason: String, now: Int64, keeping: String?) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE auth_sessions SET revoked_at = ?, revoked_reason = ?
                    WHERE user_id = ? AND revoked_at IS NULL AND id IS NOT ?
                    """,
                arguments: [now, reason, userID, keeping]
            )
        }
    }
}
