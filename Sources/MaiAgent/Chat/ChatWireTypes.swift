import Foundation
import Hummingbird

// MARK: - Requests

/// `POST /api/v1/chats/new` and `POST /api/v1/chats/{id}`: Open WebUI's `{"chat": {…}}`.
struct ChatForm: Decodable {
    var chat: ChatPayload
}

/// `POST /api/v1/chats/import`: a chat as exported, with its flags.
struct ChatImportForm: Decodable {
    var chat: ChatPayload
    var pinned: Bool?
    var archived: Bool?
}

/// The `chat` object Open WebUI's client keeps: a title, the models, and the message tree in
/// `history` (or only the linear `messages`, from simpler clients). Fields we do not keep
/// (`tags`, `params`, `files`, …) are ignored.
struct ChatPayload: Decodable {
    var title: String?
    var models: [String]?
    var history: History?
    var messages: [MessagePayload]?

    struct History: Decodable {
        var messages: [String: MessagePayload]?
        var currentId: String?
    }

    /// How many messages the payload carries.
    var messageCount: Int { history?.messages?.count ?? messages?.count ?? 0 }
}

/// One message as Open WebUI's client sends it. `childrenIds` is not read: children follow from
/// `parentId`, so the two can never disagree.
struct MessagePayload: Decodable {
    var id: String?
    var parentId: String?
    var role: ChatMessageRecord.Role
    var content: String
    var model: String?
    /// Unix seconds (milliseconds are recognised and converted).
    var timestamp: Double?
    var status: ChatMessageRecord.Status?
    var error: String?
    var done: Bool?

    enum CodingKeys: String, CodingKey {
        case id, parentId, role, content, model, timestamp, status, error, done
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        parentId = try container.decodeIfPresent(String.self, forKey: .parentId)
        let role = try container.decode(String.self, forKey: .role)
        guard let known = ChatMessageRecord.Role(rawValue: role) else {
            throw DecodingError.dataCorruptedError(forKey: .role, in: container, debugDescription: "'\(role.prefix(40))' is not a role; use system, user or assistant.")
        }
        self.role = known
        content = try container.decode(String.self, forKey: .content)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        timestamp = try container.decodeIfPresent(Double.self, forKey: .timestamp)
        // Open WebUI writes `error` as a string, `true`, or `{"content": …}`; only the text is kept.
        status = (try? container.decodeIfPresent(String.self, forKey: .status)).flatMap { $0.flatMap(ChatMessageRecord.Status.init(rawValue:)) }
        if let text = try? container.decodeIfPresent(String.self, forKey: .error) {
            error = text
        } else if let object = try? container.decodeIfPresent([String: String].self, forKey: .error) {
            error = object["content"] ?? "The model answered with an error."
        } else if (try? container.decodeIfPresent(Bool.self, forKey: .error)) == true {
            error = "The model answered with an error."
        }
        done = try? container.decodeIfPresent(Bool.self, forKey: .done)
    }

    /// Where the message stands once stored: an answer cannot still be streaming when a client
    /// hands it over, so one that claims to be (or is not `done`) was interrupted.
    var resolvedStatus: ChatMessageRecord.Status {
        guard role == .assistant else { return .complete }
        if let status { return status == .streaming ? .interrupted : status }
        if error != nil { return .error }
        return done == false ? .interrupted : .complete
    }

    /// `timestamp` as Unix seconds, or `now` when missing or meaningless.
    func createdAt(now: Int64) -> Int64 {
        guard var seconds = timestamp, seconds.isFinite, seconds > 0 else { return now }
        if seconds > 100_000_000_000 { seconds /= 1000 }
        return seconds < 100_000_000_000 ? Int64(seconds) : now
    }
}

// MARK: - Responses

/// A chat as Open WebUI answers it (`ChatResponse`); timestamps in Unix seconds.
struct ChatResponse: ResponseEncodable {
    var id: String
    var userID: String
    var title: String
    var chat: Content
    var updatedAt: Int64
    var createdAt: Int64
    var archived: Bool
    var pinned: Bool

    /// The `chat` object: the message tree and, for convenience, the branch on screen.
    struct Content: Encodable {
        var id: String
        var title: String
        var models: [String]
        var history: History
        /// The current branch, root first.
        var messages: [ChatMessageResponse]
    }

    struct History: Encodable {
        var messages: [String: ChatMessageResponse]
        var currentId: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(messages, forKey: .messages)
            try container.encode(currentId, forKey: .currentId)
        }

        enum CodingKeys: String, CodingKey { case messages, currentId }
    }

    init(_ chat: ChatRecord, messages: [ChatMessageRecord]) {
        let children = ChatTree.childrenIDs(messages)
        let branch = ChatTree.branch(endingAt: chat.currentMessageID, in: messages)
        let models = (try? JSONDecoder().decode([String].self, from: Data(chat.models.utf8))) ?? []
        var byID: [String: ChatMessageResponse] = [:]
        for message in messages { byID[message.id] = ChatMessageResponse(message, children: children[message.id] ?? []) }
        id = chat.id
        userID = chat.userID
        title = chat.title
        self.chat = Content(
            id: chat.id, title: chat.title, models: models,
            history: History(messages: byID, currentId: branch.last?.id),
            messages: branch.compactMap { byID[$0.id] }
        )
        updatedAt = chat.updatedAt
        createdAt = chat.createdAt
        archived = chat.archived
        pinned = chat.pinned
    }

    enum CodingKeys: String, CodingKey {
        case id, title, chat, archived, pinned, meta
        case userID = "user_id", updatedAt = "updated_at", createdAt = "created_at"
        case shareID = "share_id", folderID = "folder_id"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(userID, forKey: .userID)
        try container.encode(title, forKey: .title)
        try container.encode(chat, forKey: .chat)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(archived, forKey: .archived)
        try container.encode(pinned, forKey: .pinned)
        // Sharing and folders do not exist here; the keys are kept for Open WebUI's clients.
        try container.encodeNil(forKey: .shareID)
        try container.encode([String: String](), forKey: .meta)
        try container.encodeNil(forKey: .folderID)
    }
}

/// One message of `history.messages`, Open WebUI's shape plus `status`.
struct ChatMessageResponse: Encodable {
    var id: String
    var parentId: String?
    var childrenIds: [String]
    var role: ChatMessageRecord.Role
    var content: String
    var model: String?
    var timestamp: Int64
    var status: ChatMessageRecord.Status
    var error: String?

    init(_ message: ChatMessageRecord, children: [String]) {
        id = message.id
        parentId = message.parentID
        childrenIds = children
        role = message.role
        content = message.content
        model = message.model
        timestamp = message.createdAt
        status = message.status
        error = message.error
    }

    enum CodingKeys: String, CodingKey {
        case id, parentId, childrenIds, role, content, model, timestamp, status, error, done
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(parentId, forKey: .parentId)
        try container.encode(childrenIds, forKey: .childrenIds)
        try container.encode(role, forKey: .role)
        try container.encode(content, forKey: .content)
        try container.encode(model, forKey: .model)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(status != .streaming, forKey: .done)
    }
}

/// A line of the chat list (sidebar, search, pinned, archived).
struct ChatListItem: Encodable {
    var id: String
    var title: String
    var updated_at: Int64
    var created_at: Int64
    var pinned: Bool

    init(_ chat: ChatRecord) {
        id = chat.id
        title = chat.title
        updated_at = chat.updatedAt
        created_at = chat.createdAt
        pinned = chat.pinned
    }
}

/// Any JSON value as a response: Open WebUI answers some routes with a bare array or `true`.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try context.responseEncoder.encode(value, from: request, context: context)
    }
}

// MARK: - From payload to records

/// The messages a payload adds to a chat, as records, and the branch it points at.
struct IncomingMessages {
    /// Messages the chat does not hold yet, in no particular order (see `ChatTree.validated`).
    var messages: [ChatMessageRecord]
    /// `history.currentId` after any id replacement; `nil` when the payload names none.
    var currentID: String?
}

extension ChatPayload {
    /// The payload's messages that `existing` does not hold, as records of `chatID`. A client's
    /// message id is kept when it is sane (1–64 of `A-Z a-z 0-9 _ -`) and `keepIDs` is set;
    /// otherwise it gets a new id, and parent links and `currentId` follow the replacement.
    /// A payload with only the linear `messages` becomes a single branch in that order.
    func incomingMessages(
        chatID: String, existing: Set<String>, now: Int64, keepIDs: Bool,
        newID: () -> String = { UUID().uuidString.lowercased() }
    ) -> IncomingMessages {
        var entries: [(key: String, message: MessagePayload, parent: String?)] = []
        // `currentId` alone (no messages) switches branch.
        let currentID = history?.currentId
        if let map = history?.messages {
            entries = map.map { (key: $0.key, message: $0.value, parent: $0.value.parentId) }
                .sorted { ($0.message.createdAt(now: now), $0.key) < ($1.message.createdAt(now: now), $1.key) }
        } else if let list = messages {
            var previous: String?
            for message in list {
                let key = message.id ?? newID()
                entries.append((key: key, message: message, parent: previous))
                previous = key
            }
        }
        var replacement: [String: String] = [:]
        for entry in entries where !existing.contains(entry.key) && (!keepIDs || !Self.isSaneID(entry.key)) {
            replacement[entry.key] = newID()
        }
        func resolved(_ id: String) -> String { replacement[id] ?? id }
        let records = entries.filter { !existing.contains($0.key) }.map { entry in
            let message = entry.message
            let createdAt = message.createdAt(now: now)
            return ChatMessageRecord(
                id: resolved(entry.key), chatID: chatID, parentID: entry.parent.map(resolved),
                role: message.role, content: message.content, model: message.model,
                status: message.resolvedStatus, error: message.role == .assistant ? message.error : nil,
                createdAt: createdAt, updatedAt: createdAt
            )
        }
        return IncomingMessages(messages: records, currentID: currentID.map(resolved))
    }

    /// Whether a client's message id can be stored as it is.
    static func isSaneID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D
        }
    }
}
