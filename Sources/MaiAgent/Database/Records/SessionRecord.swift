import GRDB

/// One sign-in: the family of refresh tokens rotated from it. Revoking it ends the sign-in.
public struct SessionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "auth_sessions"

    public var id: String
    public var userID: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var revokedAt: Int64?
    public var revokedReason: String?
    public var clientAddress: String
    public var userAgent: String

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id
        case userID = "user_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case revokedReason = "revoked_reason"
        case clientAddress = "client_address"
        case userAgent = "user_agent"
    }
}

/// A refresh token, stored only as its SHA-256. `usedAt` is set when it is spent by a rotation.
public struct RefreshTokenRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "refresh_tokens"

    public var tokenHash: String
    public var sessionID: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var usedAt: Int64?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case tokenHash = "token_hash"
        case sessionID = "session_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
    }
}
