import Foundation

/// A file as the API shows it: Open WebUI's `{id, user_id, filename, meta, data: {status}}` plus
/// the processing state the UI shows beside each file.
struct FileResponse: Encodable, Sendable {
    struct Meta: Encodable, Sendable {
        var name: String
        var content_type: String?
        var size: Int64
    }
    struct DataField: Encodable, Sendable {
        var status: String
    }
    var id: String
    var user_id: String
    var filename: String
    var hash: String?
    var meta: Meta
    var data: DataField
    /// `uploading`, `queued`, `processing`, `ready`, `failed`.
    var status: String
    var kind: String?
    var size: Int64
    /// Bytes received so far (resume a resumable upload from here).
    var received: Int64
    var pages: Int
    var chunk_count: Int
    /// Why it failed: `unsupported`, `encrypted`, `corrupt`, `too_big`, `no_text`, `empty`, `failed`.
    var error_code: String?
    var error: String?
    var created_at: Int64
    var updated_at: Int64

    init(_ file: FileRecord) {
        id = file.id
        user_id = file.userID
        filename = file.filename
        hash = file.sha256
        meta = Meta(name: file.filename, content_type: file.kind.flatMap { DocumentKind(rawValue: $0)?.contentType }, size: file.size)
        data = DataField(status: file.status == .ready ? "completed" : file.status == .failed ? "failed" : "pending")
        status = file.status.rawValue
        kind = file.kind
        size = file.size
        received = file.received
        pages = file.pages
        chunk_count = file.chunkCount
        error_code = file.errorCode
        error = file.error
        created_at = file.createdAt
        updated_at = file.updatedAt
    }
}

extension DocumentKind {
    var contentType: String {
        switch self {
        case .text: "text/plain"
        case .markdown: "text/markdown"
        case .html: "text/html"
        case .csv: "text/csv"
        case .json: "application/json"
        case .pdf: "application/pdf"
        case .docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case .pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    }
}

/// A collection as the API shows it.
struct CollectionResponse: Encodable, Sendable {
    var id: String
    var user_id: String
    var name: String
    var description: String
    /// Shared with every employee.
    var everyone: Bool
    /// Employees it is shared with (owner aside).
    var user_ids: [String]
    var file_ids: [String]
    var files: [FileResponse]?
    /// Whether the caller owns it (and may change it).
    var write_access: Bool
    var created_at: Int64
    var updated_at: Int64

    init(_ detail: CollectionDetail, callerID: String, files: [FileResponse]? = nil) {
        id = detail.record.id
        user_id = detail.record.userID
        name = detail.record.name
        description = detail.record.description
        everyone = detail.record.everyone
        user_ids = detail.memberIDs
        file_ids = detail.fileIDs
        self.files = files
        write_access = detail.record.userID == callerID
        created_at = detail.record.createdAt
        updated_at = detail.record.updatedAt
    }
}

/// One cited passage: what the numbered citation `[index]` under an answer opens.
struct Citation: Codable, Sendable, Equatable {
    var index: Int
    var passage_id: Int64
    var file_id: String
    var filename: String
    /// `page`, `slide`, `sheet` or null.
    var unit: String?
    var number: Int?
    var label: String?
    var text: String
    var relevance: Double

    init(index: Int, _ retrieved: RetrievedPassage) {
        self.index = index
        passage_id = retrieved.passage.id
        file_id = retrieved.passage.fileID
        filename = retrieved.passage.filename
        unit = retrieved.passage.unit
        number = retrieved.passage.number
        label = retrieved.passage.label
        text = retrieved.passage.text
        relevance = (retrieved.relevance * 1000).rounded() / 1000
    }

    /// "handbook.pdf, page 3".
    var sourceLine: String {
        guard let unit, let number else { return filename }
        return "\(filename), \(unit) \(number)\(label.map { " (\($0))" } ?? "")"
    }
}

/// A file or collection attached to a chat message (Open WebUI's `files: [{type, id}]`).
struct AttachedItem: Codable, Sendable, Equatable {
    var type: String
    var id: String
}
