import GRDB

/// One conversation, owned by one user. Its messages form a tree (`ChatMessageRecord.parentID`).
public struct ChatRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "chats"

    public var id: String
    public var userID: String
    public var title: String
    /// The last message of the branch on screen.
    public var currentMessageID: String?
    public var pinned: Bool
    public var archived: Bool
    /// JSON array of model ids.
    public var models: String
    public var createdAt: Int64
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, title, pinned, archived, models
        case userID = "user_id"
        case currentMessageID = "current_message_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
