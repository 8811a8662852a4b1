import Foundation
import MaiCore

/// Carries out provisioning against the Hetzner API: reads the project once (`survey`), plans, then
/// ensures the SSH key and the firewall and creates each missing server with its cloud-init and a
/// pinned host key. Idempotent: servers are found by label, so running it again creates nothing.
public struct Provisioner: Sendable {
    public var client: HetznerClient
    public var state: StateDirectory
    public var knownHosts: KnownHostsFile
    public var cloudInit: CloudInit
    public var defaults: FleetDefaults
    /// The operator's public key line, uploaded when an SSH key name of fleet.toml is missing.
    public var operatorPublicKey: String?
    /// How long one action may run (creating a server usually takes under a minute).
    public var actionTimeout: Duration
    /// Progress lines (stderr in maictl).
    public var progress: @Sendable (String) -> Void

    public init(client: HetznerClient, state: StateDirectory, knownHosts: KnownHostsFile, cloudInit: CloudInit, defaults: FleetDefaults,
                operatorPublicKey: String?, actionTimeout: Duration = .seconds(600), progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.state = state
        self.knownHosts = knownHosts
        self.cloudInit = cloudInit
        self.defaults = defaults
        self.operatorPublicKey = operatorPublicKey
        self.actionTimeout = actionTimeout
        self.progress = progress
    }

    /// What the project has now: every server, every SSH key, the fleet's firewall (three list calls),
    /// and — only when a server is missing — the server types, locations and images (three more).
    public struct Survey: Sendable {
        public var servers: [HetznerServer]
        public var sshKeys: [HetznerSSHKey]
        public var firewall: HetznerFirewall?
        public var catalog: ProvisionPlan.Catalog?
    }

    public func survey(for instances: [Instance] = []) async throws -> Survey {
        let servers = try await client.servers()
        let keys = try await client.sshKeys()
        let firewall = try await client.firewalls(name: ProvisionPlan.firewallName).first
        let missing = instances.contains { instance in
            instance.host == nil && !servers.contains { $0.labels["mai/client"] == instance.slug && $0.labels["mai/managed"] == "true" }
        }
        var catalog: ProvisionPlan.Catalog?
        if missing {
            catalog = ProvisionPlan.Catalog(serverTypes: try await client.serverTypes(), locations: try await client.locations(),
                                            images: try await client.images())
        }
        return Survey(servers: servers, sshKeys: keys, firewall: firewall, catalog: catalog)
    }

    public func plan(instances: [Instance], fleetSlugs: Set<String>, survey: Survey) -> ProvisionPlan {
        ProvisionPlan.make(instances: instances, fleetSlugs: fleetSlugs, sshKeyNames: defaults.hetzner.sshKeys,
                           sshSources: defaults.hetzner.firewallSSHSources, existingKeys: survey.sshKeys, firewall: survey.firewall,
                           servers: survey.servers, operatorKeyAvailable: operatorPublicKey != nil, catalog: survey.catalog)
    }

    /// What happened to one client.
    public struct Outcome: Sendable, Encodable {
        public var client: String
        /// `created`, `updated`, `kept`, `skipped`, `failed`.
        public var result: String
        public var serverID: Int?
        public var ipv4: String?
        public var detail: String

        public init(client: String, result: String, serverID: Int? = nil, ipv4: String? = nil, detail: String) {
            self.client = client
            self.result = result
            self.serverID = serverID
            self.ipv4 = ipv4
            self.detail = detail
        }

        enum CodingKeys: String, CodingKey { case client, result, serverID = "server_id", ipv4, detail }
    }

    /// Ensures the SSH keys and the firewall; returns the firewall's id.
    /// `changed` hears of each change once it is made.
    public func ensureShared(_ plan: ProvisionPlan, survey: Survey, changed: @Sendable (String) -> Void = { _ in }) async throws -> Int {
        for item in plan.items where item.resource == "ssh_key" && item.change == .create {
            guard let key = operatorPublicKey else { throw ProvisionError.sshKeyMissing(name: item.name) }
            progress("ssh key \(item.name): uploading the operator's public key")
            _ = try await client.createSSHKey(name: item.name, publicKey: key, labels: ["mai/managed": "true"])
            changed("uploaded SSH key \(item.name)")
        }
        let rules = ProvisionPlan.firewallRules(sshSources: defaults.hetzner.firewallSSHSources)
        if let firewall = survey.firewall {
            if plan.items.contains(where: { $0.resource == "firewall" && $0.change == .update }) {
                progress("firewall \(firewall.name): setting rules")
                for action in try await client.setFirewallRules(id: firewall.id, rules: rules) {
                    try await wait(action, label: "firewall \(firewall.name)")
                }
                changed("set the rules of firewall \(firewall.name)")
            }
            return firewall.id
        }
        progress("firewall \(ProvisionPlan.firewallName): creating")
        let created = try await client.createFirewall(name: ProvisionPlan.firewallName, labels: ["mai/managed": "true"], rules: rules)
        changed("created firewall \(created.firewall.name)")
        for action in created.actions { try await wait(action, label: "firewall \(created.firewall.name)") }
        return created.firewall.id
    }

    /// Provisions one client per its plan item: creates the server, attaches the firewall, or only
    /// makes sure the state directory knows the server.
    public func provision(_ instance: Instance, item: ProvisionPlan.Item, firewallID: Int, survey: Survey) async throws -> Outcome {
        switch item.change {
        case .create:
            return try await create(instance, firewallID: firewallID)
        case .update:
            guard let id = item.id, let server = survey.servers.first(where: { $0.id == id }) else { throw ProvisionError.noServer(slug: instance.slug) }
            progress("\(instance.slug): applying firewall to server \(id)")
            for action in try await client.applyFirewall(id: firewallID, toServers: [id]) {
                try await wait(action, label: instance.slug)
            }
            try remember(server, for: instance.slug)
            return Outcome(client: instance.slug, result: "updated", serverID: id, ipv4: server.ipv4, detail: "firewall applied")
        case .keep, .drift:
            guard let id = item.id, let server = survey.servers.first(where: { $0.id == id }) else { throw ProvisionError.noServer(slug: instance.slug) }
            try remember(server, for: instance.slug)
            return Outcome(client: instance.slug, result: "kept", serverID: id, ipv4: server.ipv4, detail: item.detail)
        case .skip:
            return Outcome(client: instance.slug, result: "skipped", detail: item.detail)
        case .problem, .orphan:
            return Outcome(client: instance.slug, result: "failed", serverID: item.id, detail: item.detail)
        }
    }

    /// A server whose create call was answered (its host key pinned) but whose actions still run.
    public struct PendingServer: Sendable {
        public var instance: Instance
        public var server: HetznerServer
        public var actions: [HetznerAction]
    }

    /// Creates the server and waits for it.
    func create(_ instance: Instance, firewallID: Int) async throws -> Outcome {
        try await finish(try await startCreate(instance, firewallID: firewallID))
    }

    /// Sends the create call: a fresh host key (public half kept as pending), cloud-init, labels;
    /// pins the key under the new server id and records the server as soon as the API answers.
    /// maictl calls this for one client after the other (new servers get addresses in client order)
    /// and waits for the actions in parallel.
    public func startCreate(_ instance: Instance, firewallID: Int) async throws -> PendingServer {
        let hostKey = GeneratedHostKey(comment: "maictl-\(instance.slug)")
        let userData = try cloudInit.userData(for: instance, operatorEmail: defaults.operatorEmail, hostKey: hostKey)
        try state.writeSecret(Secret(hostKey.publicKey.openSSHLine), name: StateDirectory.pendingHostKeyName, instance: instance.slug)
        progress("\(instance.slug): creating server (\(instance.serverType) in \(instance.location), \(instance.image))")
        let creation = HetznerServerCreation(
            name: instance.slug, serverType: instance.serverType, image: instance.image, location: instance.location,
            sshKeys: defaults.hetzner.sshKeys, userData: userData, labels: ProvisionPlan.labels(for: instance.slug), firewallIDs: [firewallID])
        let created = try await client.createServer(creation)
        try knownHosts.pin(serverID: String(created.server.id), publicKey: hostKey.publicKey)
        try state.removeFile(StateDirectory.pendingHostKeyName, instance: instance.slug)
        if let record = ServerRecord(server: created.server) { try state.writeServerRecord(record, for: instance.slug) }
        progress("\(instance.slug): server \(created.server.id) at \(created.server.ipv4 ?? "?"), host key \(hostKey.publicKey.fingerprint) pinned")
        return PendingServer(instance: instance, server: created.server, actions: [created.action] + created.nextActions)
    }

    /// Waits for a new server's actions and records its final state.
    public func finish(_ pending: PendingServer) async throws -> Outcome {
        let instance = pending.instance
        for action in pending.actions { try await wait(action, label: instance.slug) }
        let server = try await client.server(id: pending.server.id) ?? pending.server
        if let record = ServerRecord(server: server) { try state.writeServerRecord(record, for: instance.slug) }
        return Outcome(client: instance.slug, result: "created", serverID: server.id, ipv4: server.ipv4,
                       detail: "\(server.serverType.name ?? instance.serverType) in \(server.location), \(server.status)")
    }

    /// Records an existing server; pins a pending host key left by an interrupted create.
    func remember(_ server: HetznerServer, for slug: String) throws {
        if let record = ServerRecord(server: server) { try state.writeServerRecord(record, for: slug) }
        let serverID = String(server.id)
        if try knownHosts.key(for: serverID) == nil {
            if let pending = try state.readSecret(StateDirectory.pendingHostKeyName, instance: slug), let key = HostKey(openSSHLine: pending.value) {
                try knownHosts.pin(serverID: serverID, publicKey: key)
                try state.removeFile(StateDirectory.pendingHostKeyName, instance: slug)
                progress("\(slug): pinned the host key generated for server \(serverID) before it was interrupted")
            } else {
                progress("\(slug): warning: no pinned host key for server \(serverID); maictl will refuse to connect — deprovision and provision it again")
            }
        }
    }

    func wait(_ action: HetznerAction, label: String) async throws {
        let progress = self.progress
        try await client.wait(for: action, timeout: actionTimeout) { current in
            progress("\(label): \(current.command) \(current.progress)%")
        }
    }
}
