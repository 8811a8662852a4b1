import GRDB

/// A user's API key (`sk-…`), stored only as its SHA-256 plus a short prefix to recognise it by.
public struct APIKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_keys"

    public var id: String
    public var userID: String
    public var keyHash: String
    public var displayPrefix: String
    public var createdAt: Int64
    public var lastUsedAt: Int64?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id
        case userID = "user_id"
        case keyHash = "key_hash"
        case displayPrefix = "display_prefix"
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
    }
}
