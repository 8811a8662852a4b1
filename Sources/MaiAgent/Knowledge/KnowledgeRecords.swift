import GRDB

/// One uploaded file and where its processing stands.
struct FileRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "files"

    enum Status: String, Codable, Sendable {
        /// A resumable upload still receiving parts.
        case uploading
        /// Complete, waiting for extraction.
        case queued
        case processing
        case ready
        case failed
    }

    var id: String
    var userID: String
    var filename: String
    var kind: String?
    var size: Int64
    var received: Int64
    var sha256: String?
    var status: Status
    var errorCode: String?
    var error: String?
    var pages: Int
    var chunkCount: Int
    var chunkSize: Int
    var createdAt: Int64
    var updatedAt: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, filename, kind, size, received, sha256, status, error, pages
        case userID = "user_id"
        case errorCode = "error_code"
        case chunkCount = "chunk_count"
        case chunkSize = "chunk_size"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// A knowledge collection: a named set of files, shared with chosen employees or everyone.
struct KnowledgeRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "knowledge"

    var id: String
    var userID: String
    var name: String
    var description: String
    var everyone: Bool
    var createdAt: Int64
    var updatedAt: Int64

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, name, description, everyone
        case userID = "user_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// One stored passage with the file it came from.
struct PassageRow: Sendable, Equatable, FetchableRecord {
    var id: Int64
    var fileID: String
    var filename: String
    var ordinal: Int
    var unit: String?
    var number: Int?
    var label: String?
    var text: String

    init(row: Row) {
        id = row["id"]
        fileID = row["file_id"]
        filename = row["filename"]
        ordinal = row["ordinal"]
        unit = row["unit"]
        number = row["number"]
        label = row["label"]
        text = row["text"]
    }
}
