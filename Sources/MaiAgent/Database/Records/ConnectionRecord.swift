import Foundation
import GRDB

/// A provider connection an admin added or changed (`connections`).
struct ConnectionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "connections"

    var id: String
    var kind: String
    var name: String
    var baseURL: String
    var apiKeySealed: Data?
    var keyHint: String
    var modelPrefix: String
    var enabled: Bool
    var createdAt: Int64
    var updatedAt: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, kind, name, enabled
        case baseURL = "base_url"
        case apiKeySealed = "api_key_sealed"
        case keyHint = "key_hint"
        case modelPrefix = "model_prefix"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
