import Foundation
import GRDB

/// `ChatRepository` on the agent's SQLite database. Every statement names the owner, so another
/// user's chat id finds nothing; the full-text index `chat_search` is kept by triggers.
public struct SQLiteChatRepository: ChatRepository {
    typealias Chat = ChatRecord.CodingKeys
    typealias Message = ChatMessageRecord.CodingKeys

    let pool: DatabasePool

    public init(pool: DatabasePool) {
        self.pool = pool
    }

    public func create(_ chat: ChatRecord, messages: [ChatMessageRecord]) async throws {
        let ordered = try ChatTree.validated(messages, existing: [])
        guard ordered.allSatisfy({ $0.chatID == chat.id }) else {
            throw ChatError.invalidTree("Every message must belong to the chat being created.")
        }
        try await pool.write { db in
            // The chat row first: the message trigger copies its owner into the search index.
            try chat.insert(db)
            for message in ordered { try Self.insert(message, db) }
        }
    }

    public func find(id: String, userID: String) async throws -> (chat: ChatRecord, messages: [ChatMessageRecord])? {
        try await pool.read { db in
            guard let chat = try Self.owned(id: id, userID: userID, db) else { return nil }
            let messages = try ChatMessageRecord
                .filter(Message.chatID == id)
                .order(Message.createdAt, Column.rowID)
                .fetchAll(db)
            return (chat, messages)
        }
    }

    public func list(userID: String, archived: Bool, pinnedOnly: Bool, offset: Int, limit: Int) async throws -> [ChatRecord] {
        try await pool.read { db in
            // (user_id, archived, updated_at) index; its entries end with the rowid, which breaks ties.
            var request = ChatRecord.filter(Chat.userID == userID && Chat.archived == archived)
            if pinnedOnly { request = request.filter(Chat.pinned == true) }
            return try request
                .order(Chat.updatedAt.desc, Column.rowID.desc)
                .limit(limit, offset: offset)
                .fetchAll(db)
        }
    }

    /// Searches the chats that are not archived (like the main list). `query` is the user's text,
    /// never FTS5 syntax: it is split into quoted terms here (`matchTerms`), so operators, column
    /// filters and stray quotes in it are just words. A chat matches when every term occurs in it —
    /// in its title or any of its messages, not necessarily the same one.
    public func search(userID: String, query: String, offset: Int, limit: Int) async throws -> [ChatRecord] {
        let terms = Self.matchTerms(for: query)
        guard !terms.isEmpty else { return [] }
        let perTerm = Array(repeating: "AND chats.id IN (SELECT chat_id FROM chat_search WHERE chat_search MATCH ? AND user_id = ?)", count: terms.count)
        var bindings: StatementArguments = [userID]
        for term in terms { bindings += [term, userID] }
        bindings += [limit, offset]
        let arguments = bindings
        let sql = """
            SELECT chats.* FROM chats
            WHERE chats.user_id = ? AND chats.archived = 0
            \(perTerm.joined(separator: "\n"))
            ORDER BY chats.updated_at DESC, chats.rowid DESC
            LIMIT ? OFFSET ?
            """
        return try await pool.read { db in try ChatRecord.fetchAll(db, sql: sql, arguments: arguments) }
    }

    public func update(id: String, userID: String, now: Int64, _ change: @Sendable (inout ChatRecord) -> Void) async throws -> ChatRecord {
        try await pool.write { db in
            guard var chat = try Self.owned(id: id, userID: userID, db) else { throw ChatError.notFound }
            change(&chat)
            // Identity is not the change's to make.
            chat.id = id
            chat.userID = userID
            if let current = chat.currentMessageID,
               try ChatMessageRecord.filter(Message.id == current && Message.chatID == id).fetchCount(db) == 0 {
                throw ChatError.invalidTree("Message '\(current)' is not a message of this chat.")
            }
            chat.updatedAt = now
            try chat.update(db)
            return chat
        }
    }

    public func delete(id: String, userID: String) async throws {
        let deleted = try await pool.write { db in
            try ChatRecord.filter(Chat.id == id && Chat.userID == userID).deleteAll(db)
        }
        if deleted == 0 { throw ChatError.notFound }
    }

    public func deleteAll(userID: String) async throws -> Int {
        try await pool.write { db in
            try ChatRecord.filter(Chat.userID == userID).deleteAll(db)
        }
    }

    /// Inserts `message` and makes it the chat's current leaf, in one transaction; the chat's
    /// `updated_at` becomes the message's (never earlier than it was).
    public func append(_ message: ChatMessageRecord, userID: String) async throws {
        try await pool.write { db in
            guard var chat = try Self.owned(id: message.chatID, userID: userID, db) else { throw ChatError.notFound }
            if let parent = message.parentID,
               try ChatMessageRecord.filter(Message.id == parent && Message.chatID == chat.id).fetchCount(db) == 0 {
                throw ChatError.invalidTree("Message '\(message.id)' follows '\(parent)', which is not a message of this chat.")
            }
            try Self.insert(message, db)
            chat.currentMessageID = message.id
            chat.updatedAt = max(chat.updatedAt, message.updatedAt)
            try chat.update(db)
        }
    }

    /// Rewrites the content, status and error of a message of `chatID` and bumps the chat's
    /// `updated_at`, in one transaction. - Throws: `ChatError.notFound` when there is no such message.
    public func updateMessage(id: String, chatID: String, content: String, status: ChatMessageRecord.Status, error: String?, now: Int64) async throws {
        try await pool.write { db in
            let changed = try ChatMessageRecord
                .filter(Message.id == id && Message.chatID == chatID)
                .updateAll(db, Message.content.set(to: content), Message.status.set(to: status),
                           Message.error.set(to: error), Message.updatedAt.set(to: now))
            guard changed > 0 else { throw ChatError.notFound }
            try ChatRecord.filter(Chat.id == chatID).updateAll(db, Chat.updatedAt.set(to: now))
        }
    }

    /// Safe FTS5 expressions for what a user typed, one per whitespace-separated term that has a
    /// letter or digit: each a quoted string (embedded quotes doubled), so `NEAR`, `OR`, `col:`,
    /// `*`, `(` are plain text; the last term matches as a prefix, so results come while typing.
    static func matchTerms(for text: String, maximumTerms: Int = 16) -> [String] {
        let terms = text.split(whereSeparator: \.isWhitespace)
            .filter { $0.contains { $0.isLetter || $0.isNumber } }
            .prefix(maximumTerms)
            .map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        guard let last = terms.last else { return [] }
        return terms.dropLast() + [last + "*"]
    }

    private static func owned(id: String, userID: String, _ db: Database) throws -> ChatRecord? {
        try ChatRecord.filter(Chat.id == id && Chat.userID == userID).fetchOne(db)
    }

    /// Inserts a message; an id already taken (message ids are unique across all chats) is a tree
    /// error the caller can answer by choosing another id.
    private static func insert(_ message: ChatMessageRecord, _ db: Database) throws {
        do {
            try message.insert(db)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw ChatError.invalidTree("Message id '\(message.id)' is already in use.")
        }
    }
}
