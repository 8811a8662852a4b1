import Foundation
import MaiCore

/// Deletes a client's server: final backup first (unless skipped), then the server, then what
/// maictl remembered about it (server record, pinned host key), then — unless the key is kept —
/// the client's OpenRouter keys are disabled (`ClientKeyDisabling`).
public struct Deprovisioner: Sendable {
    /// The OpenRouter side of a deprovision: the seams that read the agent's key while its server
    /// still exists and disable the client's keys once it is gone.
    public struct Keys: Sendable {
        public var management: any OpenRouterKeyManaging
        public var store: KeyRotationStore
        /// Asks the client's agent which key it uses (the admin API in production).
        public var agentKey: @Sendable (Instance) async throws -> OpenRouterKeyState
        public var audit: @Sendable (AuditEntry) -> Void
        public var actor: String
        public var now: @Sendable () -> Date

        public init(management: any OpenRouterKeyManaging, store: KeyRotationStore,
                    agentKey: @escaping @Sendable (Instance) async throws -> OpenRouterKeyState,
                    audit: @escaping @Sendable (AuditEntry) -> Void = { _ in }, actor: String = "maictl", now: @escaping @Sendable () -> Date = Date.init) {
            self.management = management
            self.store = store
            self.agentKey = agentKey
            self.audit = audit
            self.actor = actor
            self.now = now
        }

        func disabling(_ client: String) -> ClientKeyDisabling {
            ClientKeyDisabling(client: client, management: management, store: store, audit: audit, actor: actor, now: now)
        }
    }

    public var client: HetznerClient
    public var state: StateDirectory
    public var knownHosts: KnownHostsFile
    /// Takes the final backup; nil when skipped.
    public var backup: (@Sendable (Instance) async throws -> URL)?
    /// Disables the client's OpenRouter keys after the server is gone; nil keeps them (`--keep-key`).
    public var keys: Keys?
    public var actionTimeout: Duration
    public var progress: @Sendable (String) -> Void

    public init(client: HetznerClient, state: StateDirectory, knownHosts: KnownHostsFile, backup: (@Sendable (Instance) async throws -> URL)?,
                keys: Keys? = nil, actionTimeout: Duration = .seconds(300), progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.state = state
        self.knownHosts = knownHosts
        self.backup = backup
        self.keys = keys
        self.actionTimeout = actionTimeout
        self.progress = progress
    }

    /// What happened.
    public struct Outcome: Sendable, Encodable {
        public var client: String
        /// `deleted` or `absent`.
        public var result: String
        public var serverID: Int?
        public var backup: String?
        /// What became of the OpenRouter keys; `nil` when they were kept (`--keep-key`).
        public var keys: ClientKeyDisabling.Report?

        /// One line for the result table.
        public var keySummary: String { keys?.summary ?? "kept enabled (--keep-key)" }

        enum CodingKeys: String, CodingKey { case client, result, serverID = "server_id", backup, keys }
    }

    /// Why a deprovision did not start: nothing was deleted.
    public struct NotStarted: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public func deprovision(_ instance: Instance) async throws -> Outcome {
        let servers = try await client.servers(labelSelector: ProvisionPlan.selector(for: instance.slug))
        guard servers.count <= 1 else { throw ProvisionError.duplicateServers(slug: instance.slug, ids: servers.map(\.id)) }
        guard let server = servers.first else {
            try forget(instance.slug, serverID: try state.serverRecord(for: instance.slug)?.id)
            // Already gone (perhaps an earlier run stopped at its keys): the keys are still disabled.
            let report = await disableKeys(instance, agentKeyHash: nil)
            return Outcome(client: instance.slug, result: "absent", keys: report)
        }
        if let keys {
            // A management key OpenRouter refuses would leave the client's key enabled after the
            // server is gone: find out before anything is deleted.
            do {
                _ = try await keys.management.allKeys(includeDisabled: false)
            } catch {
                throw NotStarted(description: "OpenRouter's management API did not answer (\(error)), so \(instance.slug)'s key could not be "
                                 + "disabled afterwards: nothing was deleted. Try again, or pass --keep-key and disable the key later "
                                 + "with maictl keys disable \(instance.slug)")
            }
        }
        var backupFile: URL?
        if let backup {
            progress("\(instance.slug): taking the final backup")
            backupFile = try await backup(instance)
            progress("\(instance.slug): final backup in \(backupFile!.path)")
        } else {
            progress("\(instance.slug): no final backup (--skip-backup)")
        }
        // The agent's key, while the agent can still be asked; kept in the key history so that
        // `maictl keys disable` can finish the job if disabling fails after the server is gone.
        var agentKeyHash: String?
        if let keys {
            do {
                let current = try await keys.agentKey(instance)
                agentKeyHash = current.currentHash
                try keys.disabling(instance.slug).remember(current)
                progress("\(instance.slug): the agent uses key \(current.currentHash.map { String($0.prefix(12)) } ?? "none")")
            } catch {
                progress("\(instance.slug): could not ask the agent which key it uses (\(error)); the key history and OpenRouter's key list are used")
            }
        }
        progress("\(instance.slug): deleting server \(server.id) (\(server.ipv4 ?? "no IPv4"))")
        let action = try await client.deleteServer(id: server.id)
        let progress = self.progress
        try await client.wait(for: action, timeout: actionTimeout) { current in
            progress("\(instance.slug): \(current.command) \(current.progress)%")
        }
        try forget(instance.slug, serverID: server.id)
        let report = await disableKeys(instance, agentKeyHash: agentKeyHash)
        return Outcome(client: instance.slug, result: "deleted", serverID: server.id, backup: backupFile?.path, keys: report)
    }

    /// Disables the client's keys (after its server is gone); `nil` when they are kept.
    private func disableKeys(_ instance: Instance, agentKeyHash: String?) async -> ClientKeyDisabling.Report? {
        guard let keys else {
            progress("\(instance.slug): OpenRouter key left enabled (--keep-key); disable it later with maictl keys disable \(instance.slug)")
            return nil
        }
        progress("\(instance.slug): disabling its OpenRouter keys")
        let report = await keys.disabling(instance.slug).run(agentKeyHash: agentKeyHash)
        for key in report.keys where key.result != .failed {
            progress("\(instance.slug): key \(key.hash.prefix(12))\(key.name.map { " (\($0))" } ?? ""): \(key.result.rawValue)")
        }
        report.notes.forEach { progress("\(instance.slug): \($0)") }
        return report
    }

    private func forget(_ slug: String, serverID: Int?) throws {
        if let serverID, try knownHosts.forget(serverID: String(serverID)) {
            progress("\(slug): forgot the host key of server \(serverID)")
        }
        try state.removeFile(StateDirectory.serverRecordName, instance: slug)
        try state.removeFile(StateDirectory.pendingHostKeyName, instance: slug)
    }
}
