import GRDB

/// One account, as stored in `users`. Timestamps are Unix seconds.
public struct UserRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "users"

    public var id: String
    public var email: String
    public var name: String
    public var role: UserRole
    public var passwordHash: String
    public var profileImageURL: String
    public var isActive: Bool
    public var createdAt: Int64
    public var updatedAt: Int64
    public var lastActiveAt: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, email, name, role
        case passwordHash = "password_hash"
        case profileImageURL = "profile_image_url"
        case isActive = "is_active"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case lastActiveAt = "last_active_at"
    }

    public init(id: String, email: String, name: String, role: UserRole, passwordHash: String, profileImageURL: String = "", isActive: Bool = true, now: Int64) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.profileImageURL = profileImageURL
        self.isActive = isActive
        self.createdAt = now
        self.updatedAt = now
        self.lastActiveAt = now
    }
}

extension UserRole: DatabaseValueConvertible {}
