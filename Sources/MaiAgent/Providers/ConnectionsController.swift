import Foundation
import Hummingbird
import MaiCore

/// Settings → Connections, for admins: list, add, change, verify, remove provider connections.
/// Keys go in and never come back out (only a hint such as `sk-or-…a1b2`).
struct ConnectionsController {
    let services: AgentServices

    func addRoutes(to routes: RouteRegistrar) {
        routes.get("/api/v1/connections/", .admin, use: list)
        routes.post("/api/v1/connections/new", .admin, use: create)
        routes.post("/api/v1/connections/:id", .admin, use: update)
        routes.post("/api/v1/connections/:id/verify", .admin, use: verify)
        routes.delete("/api/v1/connections/:id", .admin, use: delete)
    }

    struct ConnectionResponse: ResponseCodable {
        var id: String
        var kind: ConnectionKind
        var name: String
        var base_url: String
        var key_hint: String
        var has_key: Bool
        var model_prefix: String
        var enabled: Bool
        var source: SettingSource
        var models: Int
        var last_error: String?
        var checked_at: Int64?
    }

    struct ConnectionList: ResponseCodable {
        var connections: [ConnectionResponse]
    }

    struct ConnectionForm: Decodable {
        var kind: ConnectionKind?
        var name: String?
        var base_url: String?
        var api_key: String?
        var model_prefix: String?
        var enabled: Bool?
    }

    @Sendable func list(_ request: Request, context: AgentRequestContext) async throws -> ConnectionList {
        ConnectionList(connections: try await connectionList())
    }

    func connectionList() async throws -> [ConnectionResponse] {
        let connections = try await services.connections.all()
        let entries = await services.catalog.entries(for: connections.filter(\.enabled), providers: services.providerFactory)
        var list: [ConnectionResponse] = []
        for connection in connections {
            let status = await services.catalog.status(of: connection.id)
            list.append(ConnectionResponse(
                id: connection.id, kind: connection.kind, name: connection.name, base_url: connection.baseURL,
                key_hint: connection.keyHint, has_key: connection.apiKey != nil, model_prefix: connection.modelPrefix,
                enabled: connection.enabled, source: connection.source,
                models: entries.filter { $0.connectionID == connection.id }.count, last_error: status.error, checked_at: status.fetchedAt
            ))
        }
        return list
    }

    @Sendable func create(_ request: Request, context: AgentRequestContext) async throws -> ConnectionResponse {
        var request = request
        let form = try await request.decodeJSON(as: ConnectionForm.self, limit: services.config.maxJSONBodyBytes)
        guard let kind = form.kind else {
            throw APIError(.unprocessableContent, "Missing field 'kind': one of \(ConnectionKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let existing = try await services.connections.all()
        let id = existing.contains { $0.id == kind.rawValue } ? "\(kind.rawValue)-\(TokenService.randomHex(bytes: 3))" : kind.rawValue
        var connection = Connection(id: id, kind: kind, name: kind.displayName, baseURL: kind.defaultBaseURL ?? "", apiKey: nil,
                                    modelPrefix: "", enabled: true, source: .database)
        try apply(form, to: &connection)
        try await check(connection)
        try await services.connections.save(connection)
        await services.catalog.invalidate(connection.id)
        context.logger.info("connection added", metadata: ["mai.op": "connections.add", "mai.connection": .string(id)])
        return try await response(for: connection.id)
    }

    @Sendable func update(_ request: Request, context: AgentRequestContext) async throws -> ConnectionResponse {
        var request = request
        let id = try context.parameters.require("id")
        let form = try await request.decodeJSON(as: ConnectionForm.self, limit: services.config.maxJSONBodyBytes)
        guard var connection = try await services.connections.all().first(where: { $0.id == id }) else {
            throw APIError(.notFound, "No connection '\(id.prefix(64))'.")
        }
        if let kind = form.kind, kind != connection.kind {
            throw APIError(.badRequest, "A connection's kind cannot change; add a new connection instead.")
        }
        let before = connection
        try apply(form, to: &connection)
        connection.source = .database
        if connection.enabled, connection.apiKey != before.apiKey || connection.baseURL != before.baseURL || !before.enabled {
            try await check(connection)
        }
        if connection.kind == .openrouter, let old = before.apiKey, old != connection.apiKey {
            // Rows the old key served are still confirmed with it.
            try await services.retiredKeys.retire(key: old.value, baseURL: before.baseURL, now: services.clock.seconds)
        }
        try await services.connections.save(connection)
        if connection.kind == .openrouter, let key = connection.apiKey, key != before.apiKey {
            try await services.keySetTimes.recordSet(hash: TokenService.sha256Hex(key.value), now: services.clock.seconds)
        }
        await services.catalog.invalidate(id)
        context.logger.info("connection changed", metadata: ["mai.op": "connections.update", "mai.connection": .string(id)])
        return try await response(for: id)
    }

    struct VerifyResponse: ResponseCodable {
        var ok: Bool
        var models: Int
        var detail: String?
    }

    @Sendable func verify(_ request: Request, context: AgentRequestContext) async throws -> VerifyResponse {
        let id = try context.parameters.require("id")
        guard let connection = try await services.connections.all().first(where: { $0.id == id }) else {
            throw APIError(.notFound, "No connection '\(id.prefix(64))'.")
        }
        do {
            try await check(connection)
            await services.catalog.invalidate(id)
            let count = await services.catalog.entries(for: [connection], providers: services.providerFactory).count
            return VerifyResponse(ok: true, models: count, detail: nil)
        } catch let error as APIError {
            return VerifyResponse(ok: false, models: 0, detail: error.detail)
        }
    }

    @Sendable func delete(_ request: Request, context: AgentRequestContext) async throws -> StatusResponse {
        let id = try context.parameters.require("id")
        if services.connections.environmentConnections.contains(where: { $0.id == id }) {
            throw APIError(.badRequest, "'\(id)' comes from the server's environment and cannot be removed here; disable it instead.")
        }
        guard try await services.connections.delete(id: id) else { throw APIError(.notFound, "No connection '\(id.prefix(64))'.") }
        await services.catalog.invalidate(id)
        context.logger.info("connection removed", metadata: ["mai.op": "connections.delete", "mai.connection": .string(id)])
        return StatusResponse()
    }

    // MARK: - Helpers

    func apply(_ form: ConnectionForm, to connection: inout Connection) throws {
        if let name = form.name {
            connection.name = try Credentials.name(name)
        }
        if let url = form.base_url {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw APIError(.badRequest, "base_url must be an http:// or https:// address.")
            }
            connection.baseURL = ConnectionStore.trimmed(url)
        }
        if connection.baseURL.isEmpty {
            throw APIError(.badRequest, "A \(connection.kind.displayName) connection needs base_url.")
        }
        if let key = form.api_key {
            let trimmed = key.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count <= 512, !trimmed.contains(where: { $0.isWhitespace }) else {
                throw APIError(.badRequest, "api_key does not look like a key.")
            }
            connection.apiKey = trimmed.isEmpty ? nil : Secret(trimmed)
        }
        if let prefix = form.model_prefix {
            guard prefix.count <= 32, prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw APIError(.badRequest, "model_prefix may hold up to 32 letters, digits, '-' or '_'.")
            }
            connection.modelPrefix = prefix
        }
        if let enabled = form.enabled { connection.enabled = enabled }
        if connection.kind.needsKey, connection.apiKey == nil, connection.enabled {
            throw APIError(.badRequest, "A \(connection.kind.displayName) connection needs api_key.")
        }
    }

    /// Proves the connection works before it is saved: OpenRouter's `GET /key` (the key is valid),
    /// otherwise the model list.
    func check(_ connection: Connection) async throws {
        do {
            if connection.kind == .openrouter {
                struct KeyInfo: Decodable { struct Data: Decodable { var label: String? }; var data: Data }
                _ = try await services.providerFactory.http.json(
                    KeyInfo.self, .GET, "\(connection.baseURL)/key",
                    headers: [("Authorization", "Bearer \(connection.apiKey?.value ?? "")")]
                )
            } else {
                _ = try await services.providerFactory.provider(for: connection).models()
            }
        } catch let error as ProviderError {
            throw APIError(.badRequest, "\(connection.kind.displayName) refused the connection (\(error.status): \(error.message)). Check the key and address.")
        }
    }

    func response(for id: String) async throws -> ConnectionResponse {
        guard let found = try await connectionList().first(where: { $0.id == id }) else {
            throw APIError(.notFound, "No connection '\(id.prefix(64))'.")
        }
        return found
    }
}
