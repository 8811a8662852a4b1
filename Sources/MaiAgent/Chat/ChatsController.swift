import Foundation
import Hummingbird

/// `/api/v1/chats/…`: the caller's chat history with Open WebUI's paths and shapes — create, read,
/// list, update (rename, models, switch branch, add messages), delete, pin, archive, search,
/// export and import. Every call is scoped to the caller: someone else's chat id is answered
/// exactly like an id that does not exist.
struct ChatsController {
    let services: AgentServices

    /// Chats per page of every list, as in Open WebUI.
    static let pageSize = 60
    /// Most messages one chat may hold.
    static let maximumMessages = 10_000
    /// Largest chat body accepted: long chats with code are bigger than other forms.
    static let maximumBodyBytes = 16 << 20
    /// Longest search text, in characters.
    static let maximumSearchLength = 500

    var chats: any ChatRepository { services.chats }

    func addRoutes(to routes: RouteRegistrar) {
        let base = "/api/v1/chats"
        routes.get("\(base)/", .user, use: list)
        routes.get("\(base)/list", .user, use: list)
        routes.delete("\(base)/", .user, use: deleteAll)
        routes.post("\(base)/new", .user, use: create)
        routes.get("\(base)/search", .user, use: search)
        routes.get("\(base)/pinned", .user, use: pinned)
        routes.get("\(base)/archived", .user, use: archivedList)
        routes.get("\(base)/all", .user, use: exportAll)
        routes.post("\(base)/import", .user, use: importChat)
        routes.get("\(base)/:id", .user, use: get)
        routes.post("\(base)/:id", .user, use: update)
        routes.delete("\(base)/:id", .user, use: delete)
        routes.post("\(base)/:id/pin", .user, use: togglePin)
        routes.post("\(base)/:id/archive", .user, use: toggleArchive)
    }

    // MARK: Lists

    @Sendable func list(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[ChatListItem]> {
        try await page(request, context) { user, offset, limit in
            try await chats.list(userID: user, archived: false, pinnedOnly: false, offset: offset, limit: limit)
        }
    }

    @Sendable func pinned(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[ChatListItem]> {
        try await page(request, context) { user, offset, limit in
            try await chats.list(userID: user, archived: false, pinnedOnly: true, offset: offset, limit: limit)
        }
    }

    @Sendable func archivedList(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[ChatListItem]> {
        try await page(request, context) { user, offset, limit in
            try await chats.list(userID: user, archived: true, pinnedOnly: false, offset: offset, limit: limit)
        }
    }

    @Sendable func search(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[ChatListItem]> {
        let text = (request.uri.queryParameters.get("text") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else {
            throw APIError(.badRequest, "Say what to search for: add '?text=' with one or more words.")
        }
        guard text.count <= Self.maximumSearchLength else {
            throw APIError(.badRequest, "The search text is longer than \(Self.maximumSearchLength) characters; search for fewer words.")
        }
        return try await page(request, context) { user, offset, limit in
            try await chats.search(userID: user, query: text, offset: offset, limit: limit)
        }
    }

    /// Every chat of the caller, archived ones included, with their whole trees: the export.
    @Sendable func exportAll(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[ChatResponse]> {
        let user = try context.requireIdentity().user.id
        var all: [ChatResponse] = []
        for archived in [false, true] {
            var offset = 0
            while true {
                let batch = try await chats.list(userID: user, archived: archived, pinnedOnly: false, offset: offset, limit: 500)
                for chat in batch {
                    // A chat deleted while the export runs is simply left out.
                    if let found = try await chats.find(id: chat.id, userID: user) {
                        all.append(ChatResponse(found.chat, messages: found.messages))
                    }
                }
                if batch.count < 500 { break }
                offset += batch.count
            }
        }
        return JSONResponse(all)
    }

    // MARK: One chat

    @Sendable func create(_ request: Request, context: AgentRequestContext) async throws -> ChatResponse {
        var request = request
        let form = try await request.decodeJSON(as: ChatForm.self, limit: Self.maximumBodyBytes)
        let user = try context.requireIdentity().user.id
        let response = try await store(form.chat, userID: user, keepIDs: true, pinned: false, archived: false)
        context.logger.info("chat created", metadata: ["mai.op": "chats.create", "chat": .string(response.id)])
        return response
    }

    @Sendable func importChat(_ request: Request, context: AgentRequestContext) async throws -> ChatResponse {
        var request = request
        let form = try await request.decodeJSON(as: ChatImportForm.self, limit: Self.maximumBodyBytes)
        let user = try context.requireIdentity().user.id
        let response = try await store(form.chat, userID: user, keepIDs: false, pinned: form.pinned ?? false, archived: form.archived ?? false)
        context.logger.info("chat imported", metadata: ["mai.op": "chats.import", "chat": .string(response.id)])
        return response
    }

    @Sendable func get(_ request: Request, context: AgentRequestContext) async throws -> ChatResponse {
        let (chat, messages) = try await owned(context)
        return ChatResponse(chat, messages: messages)
    }

    /// Renames, changes models, switches branch (`history.currentId`) and adds the messages of
    /// `history.messages` the chat does not have. Existing messages are never rewritten here:
    /// an edit is a new sibling, a new branch.
    @Sendable func update(_ request: Request, context: AgentRequestContext) async throws -> ChatResponse {
        var request = request
        let form = try await request.decodeJSON(as: ChatForm.self, limit: Self.maximumBodyBytes)
        let (chat, messages) = try await owned(context)
        let payload = form.chat
        let title = try Self.title(payload.title)
        let models = try Self.models(payload.models)
        let now = services.clock.seconds

        let existing = Set(messages.map(\.id))
        let incoming = payload.incomingMessages(chatID: chat.id, existing: existing, now: now, keepIDs: true)
        try Self.checkSize(messages.count + incoming.messages.count)
        let ordered = try Self.translating { try ChatTree.validated(incoming.messages, existing: existing) }
        var current = incoming.currentID
        if let current, !existing.contains(current), !ordered.contains(where: { $0.id == current }) {
            throw APIError(.badRequest, "history.currentId '\(current.prefix(64))' is not a message of this chat.")
        }
        let added = try await append(ordered, to: chat.id, userID: chat.userID, current: &current)
        if current == nil, !added.isEmpty { current = ChatTree.latestLeaf(added) }

        let tree = messages + added
        let branchTarget = current ?? chat.currentMessageID
        let derivedTitle = ChatTree.branch(endingAt: branchTarget, in: tree).first { $0.role == .user }.map { ChatTitle.make(from: $0.content) }
        let updated = try await Self.translating {
            try await chats.update(id: chat.id, userID: chat.userID, now: now) { [current] record in
                if let title { record.title = title }
                else if ChatTitle.isPlaceholder(record.title), let derivedTitle { record.title = derivedTitle }
                if let models { record.models = models }
                if let current { record.currentMessageID = current }
            }
        }
        return try await response(for: updated)
    }

    @Sendable func delete(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<Bool> {
        let user = try context.requireIdentity().user.id
        let id = try context.parameters.require("id")
        try await Self.translating { try await chats.delete(id: id, userID: user) }
        context.logger.info("chat deleted", metadata: ["mai.op": "chats.delete", "chat": .string(id)])
        return JSONResponse(true)
    }

    @Sendable func deleteAll(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<Bool> {
        let user = try context.requireIdentity().user.id
        let count = try await chats.deleteAll(userID: user)
        context.logger.info("all chats deleted", metadata: ["mai.op": "chats.delete_all", "count": "\(count)"])
        return JSONResponse(true)
    }

    @Sendable func togglePin(_ request: Request, context: AgentRequestContext) async throws -> ChatResponse {
        try await change(context) { $0.pinned.toggle() }
    }

    /// Archiving takes a chat out of the main list, the pinned list and search; again brings it back.
    @Sendable func toggleArchive(_ request: Request, context: AgentRequestContext) async throws -> ChatResponse {
        try await change(context) { $0.archived.toggle() }
    }

    // MARK: Helpers

    /// Creates a chat from a payload with a new id; `keepIDs` false gives every message a new id.
    private func store(_ payload: ChatPayload, userID: String, keepIDs: Bool, pinned: Bool, archived: Bool) async throws -> ChatResponse {
        try Self.checkSize(payload.messageCount)
        let title = try Self.title(payload.title)
        let models = try Self.models(payload.models) ?? "[]"
        let now = services.clock.seconds
        let chatID = UUID().uuidString.lowercased()
        var keepIDs = keepIDs
        while true {
            let incoming = payload.incomingMessages(chatID: chatID, existing: [], now: now, keepIDs: keepIDs)
            let ordered = try Self.translating { try ChatTree.validated(incoming.messages, existing: []) }
            if let current = incoming.currentID, !ordered.contains(where: { $0.id == current }) {
                throw APIError(.badRequest, "history.currentId '\(current.prefix(64))' is not one of the chat's messages.")
            }
            let current = incoming.currentID ?? ChatTree.latestLeaf(ordered)
            let firstQuestion = ChatTree.branch(endingAt: current, in: ordered).first { $0.role == .user }
            let chat = ChatRecord(
                id: chatID, userID: userID, title: title ?? ChatTitle.make(from: firstQuestion?.content),
                currentMessageID: current, pinned: pinned, archived: archived, models: models,
                createdAt: now, updatedAt: now
            )
            do {
                try await chats.create(chat, messages: ordered)
                return ChatResponse(chat, messages: ordered)
            } catch ChatError.invalidTree where keepIDs {
                // The tree is valid (checked above), so a client's message id is taken by another
                // chat: store the chat again with ids of our own.
                keepIDs = false
            } catch let error as ChatError {
                throw Self.apiError(for: error)
            }
        }
    }

    /// Appends `messages` (parents first) one by one, as the completions relay does. A client id
    /// already taken elsewhere is replaced, and links to it (and `current`) follow.
    private func append(_ messages: [ChatMessageRecord], to chatID: String, userID: String, current: inout String?) async throws -> [ChatMessageRecord] {
        var replaced: [String: String] = [:]
        var added: [ChatMessageRecord] = []
        for var message in messages {
            if let parent = message.parentID, let replacement = replaced[parent] { message.parentID = replacement }
            do {
                try await chats.append(message, userID: userID)
            } catch ChatError.invalidTree {
                let original = message.id
                message.id = UUID().uuidString.lowercased()
                try await Self.translating { try await chats.append(message, userID: userID) }
                replaced[original] = message.id
                if current == original { current = message.id }
            } catch let error as ChatError {
                throw Self.apiError(for: error)
            }
            added.append(message)
        }
        return added
    }

    private func change(_ context: AgentRequestContext, _ apply: @escaping @Sendable (inout ChatRecord) -> Void) async throws -> ChatResponse {
        let user = try context.requireIdentity().user.id
        let id = try context.parameters.require("id")
        let chat = try await Self.translating {
            try await chats.update(id: id, userID: user, now: services.clock.seconds, apply)
        }
        return try await response(for: chat)
    }

    private func response(for chat: ChatRecord) async throws -> ChatResponse {
        guard let found = try await chats.find(id: chat.id, userID: chat.userID) else { throw Self.apiError(for: .notFound) }
        return ChatResponse(found.chat, messages: found.messages)
    }

    /// The caller's chat named by the `id` path parameter, or 404.
    private func owned(_ context: AgentRequestContext) async throws -> (chat: ChatRecord, messages: [ChatMessageRecord]) {
        let user = try context.requireIdentity().user.id
        guard let found = try await chats.find(id: try context.parameters.require("id"), userID: user) else {
            throw Self.apiError(for: .notFound)
        }
        return found
    }

    /// One page of a list, `?page=N` (1-based, `pageSize` a page).
    private func page(_ request: Request, _ context: AgentRequestContext, _ fetch: (String, Int, Int) async throws -> [ChatRecord]) async throws -> JSONResponse<[ChatListItem]> {
        let user = try context.requireIdentity().user.id
        let page = try UsersController.positive(request.uri.queryParameters.get("page"), name: "page", default: 1)
        let chats = try await fetch(user, (page - 1) * Self.pageSize, Self.pageSize)
        return JSONResponse(chats.map(ChatListItem.init))
    }

    static func checkSize(_ count: Int) throws {
        guard count <= maximumMessages else {
            throw APIError(.contentTooLarge, "A chat can hold at most \(maximumMessages) messages; this one would have \(count). Start a new chat or remove old branches.")
        }
    }

    /// A title the client chose, trimmed; `nil` when it sent none or a placeholder.
    static func title(_ raw: String?) throws -> String? {
        guard let raw, !ChatTitle.isPlaceholder(raw) else { return nil }
        let title = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard title.count <= 500 else { throw APIError(.badRequest, "The title is longer than 500 characters; choose a shorter one.") }
        return title
    }

    /// The model ids as stored (a JSON array), or `nil` when the client sent none.
    static func models(_ models: [String]?) throws -> String? {
        guard let models else { return nil }
        guard models.count <= 32, models.allSatisfy({ !$0.isEmpty && $0.count <= 256 }) else {
            throw APIError(.badRequest, "'chat.models' must list at most 32 model ids, each 1 to 256 characters.")
        }
        return String(decoding: try JSONEncoder().encode(models), as: UTF8.self)
    }

    /// Runs `body`, answering a `ChatError` as the API does.
    static func translating<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ChatError {
            throw apiError(for: error)
        }
    }

    static func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ChatError {
            throw apiError(for: error)
        }
    }

    /// The answer to a refused chat operation.
    static func apiError(for error: ChatError) -> APIError {
        switch error {
        case .notFound: APIError(.notFound, "No such chat. It may have been deleted.")
        case .invalidTree(let reason): APIError(.badRequest, "The chat's message tree is invalid: \(reason)")
        }
    }
}
