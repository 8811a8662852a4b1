import Foundation
import MaiCore

/// The provider connections in force: the environment's, overridden or extended by those an
/// admin stored. Keys are sealed at rest and never leave through the API.
struct ConnectionStore: Sendable {
    let repository: any ConnectionRepository
    let providers: ProviderEnvironment
    let sealer: KeySealer
    let clock: AgentClock

    /// Connections defined by the environment, in priority order.
    var environmentConnections: [Connection] {
        var list: [Connection] = []
        func add(_ id: String, _ kind: ConnectionKind, _ url: URL?, _ key: Secret?) {
            guard let url else { return }
            list.append(Connection(id: id, kind: kind, name: kind.displayName, baseURL: Self.trimmed(url.absoluteString),
                                   apiKey: key, modelPrefix: "", enabled: true, source: .environment))
        }
        if let key = providers.openRouterKey { add("openrouter", .openrouter, providers.openRouterBaseURL, key) }
        if let key = providers.openAIKey { add("openai", .openai, providers.openAIBaseURL, key) }
        if let key = providers.anthropicKey { add("anthropic", .anthropic, providers.anthropicBaseURL, key) }
        if let key = providers.geminiKey { add("gemini", .gemini, providers.geminiBaseURL, key) }
        if let url = providers.ollamaBaseURL {
            let base = url.path.hasSuffix("/v1") ? url : url.appendingPathComponent("v1")
            add("ollama", .ollama, base, nil)
        }
        return list
    }

    /// Every connection, enabled or not: stored ones replace the environment's with the same id.
    /// The operator's key is only ever paired with the operator's address: a stored row for an
    /// environment connection that holds no key of its own (renamed, disabled, …) — or a sealed
    /// copy of the environment's key, as earlier versions stored on a rename — uses the
    /// environment's key *and* base URL, whatever base URL the row holds.
    func all() async throws -> [Connection] {
        let stored = try await repository.all()
        let fromEnvironment = environmentConnections
        var byID: [String: Connection] = [:]
        var order: [String] = []
        for connection in fromEnvironment {
            byID[connection.id] = connection
            order.append(connection.id)
        }
        for record in stored {
            guard let kind = ConnectionKind(rawValue: record.kind) else { continue }
            var key = record.apiKeySealed.flatMap(sealer.open).map(Secret.init)
            var baseURL = record.baseURL
            if let operated = fromEnvironment.first(where: { $0.id == record.id }), let operatorKey = operated.apiKey,
               record.apiKeySealed == nil || key == operatorKey {
                key = operatorKey
                baseURL = operated.baseURL
            }
            if byID[record.id] == nil { order.append(record.id) }
            byID[record.id] = Connection(id: record.id, kind: kind, name: record.name, baseURL: baseURL,
                                         apiKey: key, modelPrefix: record.modelPrefix,
                                         enabled: record.enabled, source: .database)
        }
        return order.compactMap { byID[$0] }
    }

    func enabled() async throws -> [Connection] {
        try await all().filter(\.enabled)
    }

    /// Stores `connection` (its key sealed), replacing one with the same id. The environment's own
    /// key is never written to the database: such a row stores no key, so it keeps following the
    /// environment (key and base URL; see `all()`).
    func save(_ connection: Connection) async throws {
        let now = clock.seconds
        let existing = try await repository.all().first { $0.id == connection.id }
        let isEnvironmentKey = connection.apiKey != nil && environmentConnections.contains { $0.id == connection.id && $0.apiKey == connection.apiKey }
        let key = isEnvironmentKey ? nil : connection.apiKey
        try await repository.save(ConnectionRecord(
            id: connection.id, kind: connection.kind.rawValue, name: connection.name, baseURL: connection.baseURL,
            apiKeySealed: try key.map { try sealer.seal($0.value) }, keyHint: key == nil ? "" : connection.keyHint,
            modelPrefix: connection.modelPrefix, enabled: connection.enabled,
            createdAt: existing?.createdAt ?? now, updatedAt: now
        ))
    }

    func delete(id: String) async throws -> Bool {
        try await repository.delete(id: id)
    }

    static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
