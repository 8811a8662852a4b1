/// Chats and their message trees. Every read and write is scoped to `userID`: a chat id that
/// belongs to someone else behaves exactly like one that does not exist.
public protocol ChatRepository: Sendable {
    /// Creates a chat with its initial messages (may be empty). - Throws: `ChatError.invalidTree`.
    func create(_ chat: ChatRecord, messages: [ChatMessageRecord]) async throws
    /// The chat and all its messages, or `nil` when `userID` has no such chat.
    func find(id: String, userID: String) async throws -> (chat: ChatRecord, messages: [ChatMessageRecord])?
    /// A page of the user's chats, newest activity first; archived ones only when asked.
    func list(userID: String, archived: Bool, pinnedOnly: Bool, offset: Int, limit: Int) async throws -> [ChatRecord]
    /// Chats whose title or messages match `query` (FTS5), newest first.
    func search(userID: String, query: String, offset: Int, limit: Int) async throws -> [ChatRecord]
    /// Applies `change` to the chat. - Throws: `ChatError.notFound`.
    func update(id: String, userID: String, now: Int64, _ change: @Sendable (inout ChatRecord) -> Void) async throws -> ChatRecord
    /// Deletes one chat. - Throws: `ChatError.notFound`.
    func delete(id: String, userID: String) async throws
    /// Deletes every chat of the user; returns how many.
    func deleteAll(userID: String) async throws -> Int
    /// Adds a message to the user's chat and makes it the current leaf.
    /// - Throws: `ChatError.notFound` (chat), `.invalidTree` (parent not in this chat).
    func append(_ message: ChatMessageRecord, userID: String) async throws
    /// Updates an assistant message as it streams or ends (content, status, error).
    func updateMessage(id: String, chatID: String, content: String, status: ChatMessageRecord.Status, error: String?, now: Int64) async throws
}

/// Why a chat operation was refused.
public enum ChatError: Error, Sendable, Equatable {
    /// No such chat for this user (it may exist for someone else; we do not say).
    case notFound
    /// A message's parent is not in the same chat, or the tree has a cycle.
    case invalidTree(String)
}
