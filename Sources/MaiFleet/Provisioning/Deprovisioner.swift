import Foundation

/// Deletes a client's server: final backup first (unless skipped), then the server, then what
/// maictl remembered about it (server record, pinned host key).
public struct Deprovisioner: Sendable {
    public var client: HetznerClient
    public var state: StateDirectory
    public var knownHosts: KnownHostsFile
    /// Takes the final backup; nil when skipped.
    public var backup: (@Sendable (Instance) async throws -> URL)?
    public var actionTimeout: Duration
    public var progress: @Sendable (String) -> Void

    public init(client: HetznerClient, state: StateDirectory, knownHosts: KnownHostsFile, backup: (@Sendable (Instance) async throws -> URL)?,
                actionTimeout: Duration = .seconds(300), progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.state = state
        self.knownHosts = knownHosts
        self.backup = backup
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

        enum CodingKeys: String, CodingKey { case client, result, serverID = "server_id", backup }
    }

    public func deprovision(_ instance: Instance) async throws -> Outcome {
        let servers = try await client.servers(labelSelector: ProvisionPlan.selector(for: instance.slug))
        guard servers.count <= 1 else { throw ProvisionError.duplicateServers(slug: instance.slug, ids: servers.map(\.id)) }
        guard let server = servers.first else {
            try forget(instance.slug, serverID: try state.serverRecord(for: instance.slug)?.id)
            return Outcome(client: instance.slug, result: "absent")
        }
        var backupFile: URL?
        if let backup {
            progress("\(instance.slug): taking the final backup")
            backupFile = try await backup(instance)
            progress("\(instance.slug): final backup in \(backupFile!.path)")
        } else {
            progress("\(instance.slug): no final backup (--skip-backup)")
        }
        progress("\(instance.slug): deleting server \(server.id) (\(server.ipv4 ?? "no IPv4"))")
        let action = try await client.deleteServer(id: server.id)
        let progress = self.progress
        try await client.wait(for: action, timeout: actionTimeout) { current in
            progress("\(instance.slug): \(current.command) \(current.progress)%")
        }
        try forget(instance.slug, serverID: server.id)
        return Outcome(client: instance.slug, result: "deleted", serverID: server.id, backup: backupFile?.path)
    }

    private func forget(_ slug: String, serverID: Int?) throws {
        if let serverID, try knownHosts.forget(serverID: String(serverID)) {
            progress("\(slug): forgot the host key of server \(serverID)")
        }
        try state.removeFile(StateDirectory.serverRecordName, instance: slug)
        try state.removeFile(StateDirectory.pendingHostKeyName, instance: slug)
    }
}
