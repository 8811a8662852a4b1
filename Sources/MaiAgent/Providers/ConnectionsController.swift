import Foundation
import Hummingbird
import MaiCore

/// Settings → Connections, for admins: list, add, change, verify, remove provider connections.
/// Keys go in and never come back out (only a hint such as `sk-or-…a1b2`). A key is only ever
/// sent to the address it was entered with: changing a connection's `base_url` needs its key
/// again, and the operator's keys (environment, fleet key swap) stay with the operator's address.
struct ConnectionsController {
    let connections: ConnectionStore
    let catalog: ModelCatalog
    let providers: ProviderFactory
    let retiredKeys: RetiredKeys
    let keySetTimes: KeySetTimes
    let clock: AgentClock
    let maxBodyBytes: Int

    var probe: ConnectionProbe { ConnectionProbe(providers: providers) }

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
        let connections = try await connections.all()
        let entries = await catalog.entries(for: connections.filter(\.enabled), providers: providers)
        var list: [ConnectionResponse] = []
        for connection in connections {
            let status = await catalog.status(of: connection.id)
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
        let form = try await request.decodeJSON(as: ConnectionForm.self, limit: maxBodyBytes)
        guard let kind = form.kind else {
            throw APIError(.unprocessableContent, "Missing field 'kind': one of \(ConnectionKind.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        let existing = try await connections.all()
        let id = existing.contains { $0.id == kind.rawValue } ? "\(kind.rawValue)-\(TokenService.randomHex(bytes: 3))" : kind.rawValue
        var connection = Connection(id: id, kind: kind, name: kind.displayName, baseURL: kind.defaultBaseURL ?? "", apiKey: nil,
                                    modelPrefix: "", enabled: true, source: .database)
        try apply(form, to: &connection)
        try await probe.checkAddress(connection.baseURL)
        try await probe.check(connection)
        try await connections.save(connection)
        await catalog.invalidate(connection.id)
        context.logger.info("connection added", metadata: ["mai.op": "connections.add", "mai.connection": .string(id)])
        return try await response(for: connection.id)
    }

    @Sendable func update(_ request: Request, context: AgentRequestContext) async throws -> ConnectionResponse {
        var request = request
        let id = try context.parameters.require("id")
        let form = try await request.decodeJSON(as: ConnectionForm.self, limit: maxBodyBytes)
        guard var connection = try await connections.all().first(where: { $0.id == id }) else {
            throw APIError(.notFound, "No connection '\(id.prefix(64))'.")
        }
        if let kind = form.kind, kind != connection.kind {
            throw APIError(.badRequest, "A connection's kind cannot change; add a new connection instead.")
        }
        let before = connection
        try apply(form, to: &connection)
        connection.source = .database
        if connection.baseURL != before.baseURL {
            try requireKeyForNewAddress(form, before: before)
            try await probe.checkAddress(connection.baseURL)
        }
        if connection.enabled, connection.apiKey != before.apiKey || connection.baseURL != before.baseURL || !before.enabled {
            try await probe.check(connection)
        }
        if connection.kind == .openrouter, let old = before.apiKey, old != connection.apiKey {
            // Rows the old key served are still confirmed with it.
            try await retiredKeys.retire(key: old.value, baseURL: before.baseURL, now: clock.seconds)
        }
        try await connections.save(connection)
        if connection.kind == .openrouter, let key = connection.apiKey, key != before.apiKey {
            try await keySetTimes.recordSet(hash: TokenService.sha256Hex(key.value), now: clock.seconds)
        }
        await catalog.invalidate(id)
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
        guard let connection = try await connections.all().first(where: { $0.id == id }) else {
            throw APIError(.notFound, "No connection '\(id.prefix(64))'.")
        }
        do {
            try await probe.check(connection)
            await catalog.invalidate(id)
            let count = await catalog.entries(for: [connection], providers: providers).count
            return VerifyResponse(ok: true, models: count, detail: nil)
        } catch let error as APIError {
            return VerifyResponse(ok: false, models: 0, detail: error.detail)
        }
    }

    @Sendable func delete(_ request: Request, context: AgentRequestContext) async throws -> StatusResponse {
        let id = try context.parameters.require("id")
        if connections.environmentConnections.contains(where: { $0.id == id }) {
            throw APIError(.badRequest, "'\(id)' comes from the server's environment and cannot be removed here; disable it instead.")
        }
        guard try await connections.delete(id: id) else { throw APIError(.notFound, "No connection '\(id.prefix(64))'.") }
        await catalog.invalidate(id)
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

    /// A key goes only to the address it was entered with. Moving a connection that has a key to
    /// another address therefore needs a key entered with it; the operator's key (from the
    /// environment) is then no longer used for this connection.
    func requireKeyForNewAddress(_ form: ConnectionForm, before: Connection) throws {
        guard let key = before.apiKey else { return }
        if let entered = form.api_key?.trimmingCharacters(in: .whitespacesAndNewlines), !entered.isEmpty { return }
        let operatorKey = connections.environmentConnections.contains { $0.id == before.id && $0.apiKey == key }
        if operatorKey {
            throw APIError(.badRequest, "'\(before.name)' uses the operator's key from the server's environment, and that key is only sent to "
                + "\(before.baseURL). To use another base_url, enter a key for that address in api_key in the same change; "
                + "the operator's key is then no longer used for this connection.")
        }
        throw APIError(.badRequest, "A key is only sent to the address it was entered for: to change the base_url of '\(before.name)', "
            + "enter its api_key again in the same change.")
    }

    func response(for id: String) async throws -> ConnectionResponse {
        guard let found = try await connectionList().first(where: { $0.id == id }) else {
            throw APIError(.notFound, "No connection '\(id.prefix(64))'.")
        }
        return found
    }
}
