import Foundation
import Logging

/// The models of every enabled connection, merged, cached for `ttl` seconds and refreshed on
/// demand. A connection that fails to answer keeps its last known list (and its error is kept
/// for the admin), so one broken provider never empties the model picker.
actor ModelCatalog {
    /// A model offered here, and where it comes from.
    struct Entry: Sendable, Equatable {
        /// The id employees and API clients use (the connection's prefix + the provider's id).
        var id: String
        var upstreamID: String
        var name: String
        var connectionID: String
        var kind: ConnectionKind
        var contextLength: Int?
        var promptPrice: String?
        var completionPrice: String?
        var created: Int64?
    }

    struct Snapshot: Sendable {
        var models: [ProviderModel]
        var fetchedAt: Int64
        var error: String?
    }

    private var snapshots: [String: Snapshot] = [:]
    private var inFlight: [String: Task<Snapshot, Never>] = [:]
    let ttl: Int64
    let clock: AgentClock
    let logger: Logger

    init(ttl: Int64, clock: AgentClock, logger: Logger) {
        self.ttl = ttl
        self.clock = clock
        self.logger = logger
    }

    /// The merged list: connections in priority order; the first connection offering an id wins.
    func entries(for connections: [Connection], providers: ProviderFactory, refresh: Bool = false) async -> [Entry] {
        await withTaskGroup(of: Void.self) { group in
            for connection in connections where refresh || isStale(connection.id) {
                group.addTask { _ = await self.load(connection, providers: providers) }
            }
        }
        var seen = Set<String>()
        var entries: [Entry] = []
        for connection in connections {
            for model in snapshots[connection.id]?.models ?? [] {
                let id = connection.modelPrefix.isEmpty ? model.id : "\(connection.modelPrefix).\(model.id)"
                guard seen.insert(id).inserted else { continue }
                entries.append(Entry(id: id, upstreamID: model.id, name: model.name, connectionID: connection.id, kind: connection.kind,
                                     contextLength: model.contextLength, promptPrice: model.promptPrice,
                                     completionPrice: model.completionPrice, created: model.created))
            }
        }
        return entries
    }

    /// The last error of a connection's model list, if its last fetch failed.
    func status(of connectionID: String) -> (fetchedAt: Int64?, error: String?) {
        let snapshot = snapshots[connectionID]
        return (snapshot.map(\.fetchedAt), snapshot?.error)
    }

    /// Forgets a connection's list (it changed).
    func invalidate(_ connectionID: String) {
        snapshots[connectionID] = nil
    }

    private func isStale(_ id: String) -> Bool {
        guard let snapshot = snapshots[id] else { return true }
        return clock.seconds - snapshot.fetchedAt >= ttl
    }

    /// Fetches one connection's list; concurrent callers share one request.
    private func load(_ connection: Connection, providers: ProviderFactory) async -> Snapshot {
        if let task = inFlight[connection.id] { return await task.value }
        let previous = snapshots[connection.id]
        let clock = self.clock
        let logger = self.logger
        let task = Task<Snapshot, Never> {
            do {
                let models = try await providers.provider(for: connection).models()
                return Snapshot(models: models, fetchedAt: clock.seconds, error: nil)
            } catch {
                let message = (error as? ProviderError)?.message ?? "\(error)"
                logger.warning("model list failed", metadata: ["mai.connection": .string(connection.id), "error": .string(message)])
                // Keep what we knew; retry sooner than the full TTL.
                return Snapshot(models: previous?.models ?? [], fetchedAt: clock.seconds - max(0, self.ttl - 30), error: message)
            }
        }
        inFlight[connection.id] = task
        let snapshot = await task.value
        inFlight[connection.id] = nil
        snapshots[connection.id] = snapshot
        return snapshot
    }
}
