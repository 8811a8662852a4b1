import GRDB

/// One message of a chat. Editing a message or regenerating an answer adds a sibling under the
/// same parent: a branch.
public struct ChatMessageRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "chat_messages"

    /// Who wrote it.
    public enum Role: String, Codable, Sendable, DatabaseValueConvertible {
        case system, user, assistant
    }

    /// Where an assistant answer stands.
    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        /// Finished normally (user and system messages are always complete).
        case complete
        /// Still arriving.
        case streaming
        /// The stream broke or was stopped: `content` holds what arrived.
        case interrupted
        /// The provider refused before any text: `error` says why.
        case error
    }

    public var id: String
    public var chatID: String
    public var parentID: String?
    public var role: Role
    public var content: String
    public var model: String?
    public var status: Status
    public var error: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, role, content, model, status, error
        case chatID = "chat_id"
        case parentID = "parent_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
