import GRDB

/// A setting an admin changed in the UI; stored values win over the environment.
public struct SettingRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "settings"

    public var key: String
    public var value: String
    public var updatedAt: Int64
    public var updatedBy: String?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case key, value
        case updatedAt = "updated_at"
        case updatedBy = "updated_by"
    }
}
