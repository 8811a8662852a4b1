import Foundation

extension HetznerClient {
    // MARK: Servers

    /// Servers matching a label selector (`mai/managed=true,mai/client=acme`), every page.
    public func servers(labelSelector: String? = nil, name: String? = nil) async throws -> [HetznerServer] {
        try await all("servers") { .listServers(labelSelector: labelSelector, name: name, page: $0) }
    }

    /// One server; nil when it does not exist (any more).
    public func server(id: Int) async throws -> HetznerServer? {
        struct Answer: Decodable { let server: HetznerServer }
        do {
            return try await call(.getServer(id), as: Answer.self).server
        } catch let error as HetznerAPIError where error.status == 404 {
            return nil
        }
    }

    /// Creates a server; the answer's action tracks its creation.
    public func createServer(_ creation: HetznerServerCreation) async throws -> HetznerCreatedServer {
        try await call(.createServer(creation))
    }

    /// Deletes a server.
    public func deleteServer(id: Int) async throws -> HetznerAction {
        try await call(.deleteServer(id), as: ActionAnswer.self).action
    }

    /// `poweron`, `poweroff`, `reboot` or `shutdown`.
    public func power(serverID: Int, _ command: PowerCommand) async throws -> HetznerAction {
        try await call(.serverAction(serverID, command.rawValue), as: ActionAnswer.self).action
    }

    /// The power actions of a server.
    public enum PowerCommand: String, Sendable, CaseIterable { case poweron, poweroff, reboot, shutdown }

    // MARK: SSH keys

    public func sshKeys(name: String? = nil, fingerprint: String? = nil) async throws -> [HetznerSSHKey] {
        try await all("ssh_keys") { .listSSHKeys(name: name, fingerprint: fingerprint, page: $0) }
    }

    public func createSSHKey(name: String, publicKey: String, labels: [String: String]) async throws -> HetznerSSHKey {
        struct Answer: Decodable { let ssh_key: HetznerSSHKey }
        return try await call(.createSSHKey(name: name, publicKey: publicKey, labels: labels), as: Answer.self).ssh_key
    }

    // MARK: Firewalls

    public func firewalls(name: String? = nil, labelSelector: String? = nil) async throws -> [HetznerFirewall] {
        try await all("firewalls") { .listFirewalls(name: name, labelSelector: labelSelector, page: $0) }
    }

    public func createFirewall(name: String, labels: [String: String], rules: [HetznerFirewallRule]) async throws -> HetznerCreatedFirewall {
        try await call(.createFirewall(name: name, labels: labels, rules: rules))
    }

    public func setFirewallRules(id: Int, rules: [HetznerFirewallRule]) async throws -> [HetznerAction] {
        try await call(.setFirewallRules(id, rules: rules), as: ActionsAnswer.self).actions
    }

    public func applyFirewall(id: Int, toServers servers: [Int]) async throws -> [HetznerAction] {
        try await call(.applyFirewall(id, toServers: servers), as: ActionsAnswer.self).actions
    }

    // MARK: Catalogue

    public func serverTypes() async throws -> [HetznerServerType] { try await all("server_types") { .listServerTypes(page: $0) } }
    public func locations() async throws -> [HetznerLocation] { try await all("locations") { .listLocations(page: $0) } }
    public func images(name: String? = nil) async throws -> [HetznerImage] { try await all("images") { .listImages(name: name, page: $0) } }

    // MARK: Actions

    public func action(id: Int) async throws -> HetznerAction {
        try await call(.getAction(id), as: ActionAnswer.self).action
    }

    /// Polls `action` every `pollInterval` until it succeeds; reports each change of progress; throws
    /// when it fails or is still running after `timeout`.
    @discardableResult
    public func wait(for action: HetznerAction, timeout: Duration, progress: @Sendable (HetznerAction) -> Void = { _ in }) async throws -> HetznerAction {
        let deadline = ContinuousClock.now + timeout
        var current = action
        var reported = -1
        while true {
            if current.progress != reported {
                progress(current)
                reported = current.progress
            }
            switch current.status {
            case "success": return current
            case "error":
                throw HetznerClientError.actionFailed(id: current.id, command: current.command,
                                                      code: current.error?.code ?? "error", message: current.error?.message ?? "no reason given")
            default: break
            }
            guard ContinuousClock.now < deadline else {
                throw HetznerClientError.actionTimedOut(id: current.id, command: current.command, progress: current.progress,
                                                        seconds: Int(timeout.components.seconds))
            }
            try await sleep(pollInterval)
            current = try await self.action(id: current.id)
        }
    }
}

struct ActionAnswer: Decodable { let action: HetznerAction }
struct ActionsAnswer: Decodable { let actions: [HetznerAction] }
