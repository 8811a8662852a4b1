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
    func all() async throws -> [Connection] {
        let stored = try await repository.all()
        var byID: [String: Connection] = [:]
        var order: [String] = []
        for connection in environmentConnections {
            byID[connection.id] = connection
            order.append(connection.id)
        }
        for record in stored {
            guard let kind = ConnectionKind(rawValue: record.kind) else { continue }
            let key = record.apiKeySealed.flatMap(sealer.open).map(Secret.init)
            // A stored row without a key keeps the environment's key (e.g. only renamed or disabled).
            let inherited = record.apiKeySealed == nil ? byID[record.id]?.apiKey : nil
            if byID[record.id] == nil { order.append(record.id) }
            byID[record.id] = Connection(id: record.id, kind: kind, name: record.name, baseURL: record.baseURL,
                                         apiKey: key ?? inherited, modelPrefix: record.modelPrefix,
                                         enabled: record.enabled, source: .database)
        }
        return order.compactMap { byID[$0] }
    }

    func enabled() async throws -> [Connection] {
        try await all().filter(\.enabled)
    }

    /// Stores `connection` (its key sealed), replacing one with the same id.
    func save(_ connection: Connection) async throws {
        let now = clock.seconds
        let existing = try await repository.all().first { $0.id == connection.id }
        try await repository.save(ConnectionRecord(
            id: connection.id, kind: connection.kind.rawValue, name: connection.name, baseURL: connection.baseURL,
            apiKeySealed: try connection.apiKey.map { try sealer.seal($0.value) }, keyHint: connection.keyHint,
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
