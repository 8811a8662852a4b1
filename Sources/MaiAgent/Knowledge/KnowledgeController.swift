import Foundation
import GRDB
import Hummingbird

/// `/api/v1/knowledge/…`: collections (create, list, show, update and share, add/remove files,
/// delete), a retrieval query, the passage a citation opens, and the admin's retrieval settings
/// (`/api/v1/retrieval/config`). Collections someone may not see answer 404 like missing ones.
struct KnowledgeController {
    let services: AgentServices

    var knowledge: KnowledgeService { services.knowledge }

    func addRoutes(to routes: RouteRegistrar) {
        let base = "/api/v1/knowledge"
        routes.get("\(base)/", .user, use: list)
        routes.post("\(base)/create", .user, use: create)
        routes.post("\(base)/query", .user, use: query)
        routes.get("\(base)/people", .user, use: people)
        routes.get("\(base)/passages/:id", .user, use: passage)
        routes.get("\(base)/sources/:chat_id", .user, use: sources)
        routes.get("\(base)/:id", .user, use: show)
        routes.post("\(base)/:id/update", .user, use: update)
        routes.post("\(base)/:id/file/add", .user, use: addFile)
        routes.post("\(base)/:id/file/remove", .user, use: removeFile)
        routes.delete("\(base)/:id/delete", .user, use: delete)
        routes.get("/api/v1/retrieval/config", .admin, use: config)
        routes.post("/api/v1/retrieval/config/update", .admin, use: updateConfig)
    }

    static let notFound = APIError(.notFound, "No such collection.")

    // MARK: Collections

    @Sendable func list(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[CollectionResponse]> {
        let user = try context.requireIdentity().user.id
        return JSONResponse(try await knowledge.store.collections(visibleTo: user).map { CollectionResponse($0, callerID: user) })
    }

    struct CreateForm: Decodable {
        var name: String
        var description: String?
        var everyone: Bool?
        var user_ids: [String]?
    }

    @Sendable func create(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<CollectionResponse> {
        var request = request
        let user = try context.requireIdentity().user.id
        let form = try await request.decodeJSON(as: CreateForm.self, limit: 64 << 10)
        let name = try Self.cleanName(form.name)
        let now = services.clock.seconds
        let record = KnowledgeRecord(id: UUID().uuidString.lowercased(), userID: user, name: name, description: String((form.description ?? "").prefix(2000)),
                                     everyone: form.everyone ?? false, createdAt: now, updatedAt: now)
        try await knowledge.store.insert(record)
        let detail = try await knowledge.store.updateCollection(id: record.id, ownerID: user, now: now, name: nil, description: nil, everyone: nil, members: form.user_ids)
        return JSONResponse(CollectionResponse(detail!, callerID: user))
    }

    @Sendable func show(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<CollectionResponse> {
        let user = try context.requireIdentity().user.id
        guard let detail = try await knowledge.store.collection(id: try context.parameters.require("id"), visibleTo: user) else { throw Self.notFound }
        return JSONResponse(try await withFiles(detail, user: user))
    }

    private func withFiles(_ detail: CollectionDetail, user: String) async throws -> CollectionResponse {
        var files: [FileResponse] = []
        for id in detail.fileIDs {
            if let file = try await knowledge.store.file(id: id) { files.append(FileResponse(file)) }
        }
        return CollectionResponse(detail, callerID: user, files: files)
    }

    struct UpdateForm: Decodable {
        var name: String?
        var description: String?
        var everyone: Bool?
        var user_ids: [String]?
    }

    @Sendable func update(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<CollectionResponse> {
        var request = request
        let user = try context.requireIdentity().user.id
        let form = try await request.decodeJSON(as: UpdateForm.self, limit: 64 << 10)
        let name = try form.name.map(Self.cleanName)
        guard let detail = try await knowledge.store.updateCollection(id: try context.parameters.require("id"), ownerID: user, now: services.clock.seconds,
                                                                      name: name, description: form.description.map { String($0.prefix(2000)) },
                                                                      everyone: form.everyone, members: form.user_ids) else { throw try await ownerError(context, user) }
        return JSONResponse(try await withFiles(detail, user: user))
    }

    struct FileForm: Decodable {
        var file_id: String
        /// On remove: also delete the file when it was yours and no other collection holds it (default true, as Open WebUI).
        var delete_file: Bool?
    }

    @Sendable func addFile(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<CollectionResponse> {
        var request = request
        let user = try context.requireIdentity().user.id
        let form = try await request.decodeJSON(as: FileForm.self, limit: 16 << 10)
        guard let detail = try await knowledge.store.addFile(collectionID: try context.parameters.require("id"), fileID: form.file_id, ownerID: user,
                                                             now: services.clock.seconds) else { throw try await ownerError(context, user) }
        return JSONResponse(try await withFiles(detail, user: user))
    }

    @Sendable func removeFile(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<CollectionResponse> {
        var request = request
        let user = try context.requireIdentity().user.id
        let form = try await request.decodeJSON(as: FileForm.self, limit: 16 << 10)
        guard let detail = try await knowledge.store.removeFile(collectionID: try context.parameters.require("id"), fileID: form.file_id, ownerID: user,
                                                                deleteFile: form.delete_file ?? true, now: services.clock.seconds) else { throw try await ownerError(context, user) }
        sweepUploads()
        return JSONResponse(try await withFiles(detail, user: user))
    }

    @Sendable func delete(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[String: Bool]> {
        let user = try context.requireIdentity().user.id
        guard try await knowledge.store.deleteCollection(id: try context.parameters.require("id"), ownerID: user) else { throw try await ownerError(context, user) }
        sweepUploads()
        return JSONResponse(["status": true])
    }

    /// 403 when the caller can see the collection but does not own it, else 404.
    private func ownerError(_ context: AgentRequestContext, _ user: String) async throws -> APIError {
        if try await knowledge.store.collection(id: try context.parameters.require("id"), visibleTo: user) != nil {
            return APIError(.forbidden, "Only the collection's owner can change it.")
        }
        return Self.notFound
    }

    /// Removes stored uploads whose file row is gone (deleted with a collection).
    private func sweepUploads() {
        let knowledge = self.knowledge
        Task {
            await knowledge.vectors.invalidate()
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: knowledge.uploads) else { return }
            for name in names where try await knowledge.store.file(id: name) == nil {
                try? FileManager.default.removeItem(atPath: knowledge.path(of: name))
            }
        }
    }

    static func cleanName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw APIError(.unprocessableContent, "Give the collection a name.") }
        return String(trimmed.prefix(200))
    }

    // MARK: Query, passages, people, sources

    struct QueryForm: Decodable {
        var query: String
        var files: [AttachedItem]
        var k: Int?
        /// `bm25` or `hybrid` (default: hybrid when an embedding model is set).
        var mode: String?
    }

    @Sendable func query(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[Citation]> {
        var request = request
        let user = try context.requireIdentity().user.id
        let form = try await request.decodeJSON(as: QueryForm.self, limit: 64 << 10)
        guard !form.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError(.badRequest, "Say what to look for in 'query'.") }
        let settings = try await services.knowledgeSettings()
        let mode = try form.mode.map { text in
            guard let mode = Retriever.Mode(rawValue: text) else { throw APIError(.unprocessableContent, "'mode' must be bm25 or hybrid.") }
            return mode
        }
        let found = try await KnowledgeContext(services: services).retrieve(form.query, items: form.files, userID: user, settings: settings,
                                                                              topK: form.k.map { min(max($0, 1), 50) }, mode: mode)
        return JSONResponse(found.enumerated().map { Citation(index: $0.offset + 1, $0.element) })
    }

    @Sendable func passage(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<Citation> {
        let user = try context.requireIdentity().user.id
        guard let id = Int64(try context.parameters.require("id")),
              let row = try await knowledge.store.visiblePassage(id: id, userID: user) else { throw APIError(.notFound, "No such passage.") }
        return JSONResponse(Citation(index: 0, RetrievedPassage(passage: row, relevance: 0, score: 0)))
    }

    /// The sources each answer of the caller's chat cited, by message id.
    @Sendable func sources(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[String: [Citation]]> {
        let user = try context.requireIdentity().user.id
        let stored = try await knowledge.store.sources(chatID: try context.parameters.require("chat_id"), userID: user)
        var result: [String: [Citation]] = [:]
        for (message, json) in stored {
            result[message] = try? JSONDecoder().decode([Citation].self, from: Data(json.utf8))
        }
        return JSONResponse(result)
    }

    struct Person: Encodable, Sendable {
        var id: String
        var name: String
        var email: String
    }

    /// Active employees to share a collection with.
    @Sendable func people(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[Person]> {
        _ = try context.requireIdentity()
        let people = try await services.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, email FROM users WHERE is_active AND role != 'pending' ORDER BY name, email LIMIT 1000")
                .map { Person(id: $0["id"], name: $0["name"], email: $0["email"]) }
        }
        return JSONResponse(people)
    }

    // MARK: Settings (admin)

    struct ConfigResponse: Encodable, Sendable {
        var values: [String: String]
        /// `database`, `environment` or `default` per key.
        var sources: [String: SettingSource]
        var embedding_key_set: Bool
    }

    @Sendable func config(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<ConfigResponse> {
        JSONResponse(try await configResponse())
    }

    private func configResponse() async throws -> ConfigResponse {
        let settings = try await services.knowledgeSettings()
        let values: [String: String] = [
            KnowledgeSettings.Key.chunkSize.rawValue: String(settings.chunkSize),
            KnowledgeSettings.Key.chunkOverlap.rawValue: String(settings.chunkOverlap),
            KnowledgeSettings.Key.topK.rawValue: String(settings.topK),
            KnowledgeSettings.Key.relevanceThreshold.rawValue: String(settings.relevanceThreshold),
            KnowledgeSettings.Key.embeddingModel.rawValue: settings.embeddingModel,
            KnowledgeSettings.Key.embeddingBaseURL.rawValue: settings.embeddingBaseURL,
            KnowledgeSettings.Key.maxFileMiB.rawValue: String(settings.maxFileBytes >> 20),
            KnowledgeSettings.Key.userQuotaMiB.rawValue: String(settings.userQuotaBytes >> 20),
            KnowledgeSettings.Key.userMaxPassages.rawValue: String(settings.userMaxPassages),
        ]
        return ConfigResponse(values: values, sources: settings.sources, embedding_key_set: knowledge.embeddingKey(for: settings) != nil)
    }

    @Sendable func updateConfig(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<ConfigResponse> {
        var request = request
        let admin = try context.requireIdentity().user.id
        let changes = try await request.decodeJSON(as: [String: String].self, limit: 16 << 10)
        let clean = try KnowledgeSettings.validate(changes)
        if let url = clean[KnowledgeSettings.Key.embeddingBaseURL.rawValue], !url.isEmpty {
            try await knowledge.checkEmbeddingAddress(url)
        }
        let before = try await services.knowledgeSettings()
        try await services.settings.repository.store(clean, by: admin, now: services.clock.seconds)
        let after = try await services.knowledgeSettings()
        if before.chunkSize != after.chunkSize || before.chunkOverlap != after.chunkOverlap {
            // Passages cut the old way are cut again (and embedded again) in the background.
            try await knowledge.store.requeueReady(now: services.clock.seconds)
        }
        // A new embedding model embeds every passage again in the background.
        await knowledge.worker.kick()
        return JSONResponse(try await configResponse())
    }
}
