import Foundation
import MaiCore

/// Opens what a command needs to reach an instance: an SSH session (pinned host key, the operator's
/// credentials) and, through it, the agent's admin API with that instance's fleet token.
public struct FleetConnector: Sendable {
    public var state: StateDirectory
    public var credentials: SSHCredentials
    public var knownHosts: KnownHostsFile
    public var options: SSHOptions
    public var adminPort: Int

    public init(state: StateDirectory, credentials: SSHCredentials, knownHosts: KnownHostsFile,
                options: SSHOptions = SSHOptions(), adminPort: Int = 8081) {
        self.state = state
        self.credentials = credentials
        self.knownHosts = knownHosts
        self.options = options
        self.adminPort = adminPort
    }

    /// From the environment: `MAICTL_SSH_KEY` (a private key file) or else ssh-agent, the state
    /// directory (`MAICTL_STATE_DIR`, …) and its known_hosts. An encrypted key's passphrase comes
    /// from `MAICTL_SSH_PASSPHRASE`, else from `passphrasePrompt` (the CLI asks on the terminal);
    /// with neither, it is an error that says so — never a prompt hanging a cron job.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       options: SSHOptions = SSHOptions(),
                                       passphrasePrompt: (@Sendable (String) -> String?)? = nil) throws -> FleetConnector {
        let state = try StateDirectory(environment: environment)
        try state.prepare()
        let credentials: SSHCredentials
        if let key = environment["MAICTL_SSH_KEY"], !key.isEmpty {
            let needsPassphrase = PrivateKeyFile.isEncrypted(atPath: key)
                && (environment[SSHCredentials.passphraseVariable] ?? "").isEmpty
            credentials = .keyFile(path: key, environment: environment, prompt: needsPassphrase ? passphrasePrompt : nil)
            if needsPassphrase, case .keyFile(_, nil) = credentials { throw FleetConnectorError.passphraseNeeded(key) }
        } else if let agent = SSHCredentials.agentFromEnvironment(environment) {
            credentials = agent
        } else {
            throw FleetConnectorError.noCredentials
        }
        return FleetConnector(state: state, credentials: credentials,
                              knownHosts: try KnownHostsFile(stateDirectory: state.url.path), options: options)
    }

    /// The server id host keys are pinned under for a fixed host (`host = …`): the instance's slug.
    public static func serverID(for instance: Instance) -> String { instance.slug }

    /// Where `instance` is: `host = …` from its client file (pinned under the slug), else the server
    /// The server id `instance`'s host key is pinned under: its Hetzner server id once provisioned,
    /// the slug for a fixed `host = …`.
    public func pinnedServerID(for instance: Instance) -> String {
        (try? target(for: instance).serverID) ?? Self.serverID(for: instance)
    }

    /// The address maictl reaches `instance` at, or "" when it has none yet.
    public func address(for instance: Instance) -> String {
        (try? target(for: instance).host) ?? ""
    }

    /// `maictl provision` recorded in the state directory (pinned under the Hetzner server id).
    public func target(for instance: Instance) throws -> SSHTarget {
        if let host = instance.host { return SSHTarget(serverID: Self.serverID(for: instance), host: host) }
        if let record = try state.serverRecord(for: instance.slug) { return SSHTarget(serverID: record.serverID, host: record.ipv4) }
        throw FleetConnectorError.noHost(instance.slug)
    }

    /// Runs `body` with an admin API client for `instance` over a fresh SSH session, closed after.
    public func withAdminAPI<Value: Sendable>(_ instance: Instance, _ body: @Sendable (AdminAPIClient, SSHSession) async throws -> Value) async throws -> Value {
        let token = try state.fleetToken(for: instance.slug)
        let session = try await SSHSession.connect(to: try target(for: instance), credentials: credentials, knownHosts: knownHosts, options: options)
        do {
            let client = AdminAPIClient(tunnels: session, adminPort: adminPort, token: token, hostLabel: instance.slug)
            let value = try await body(client, session)
            await session.close()
            return value
        } catch {
            await session.close()
            throw error
        }
    }
}

/// Why an instance could not be reached before any network call.
public enum FleetConnectorError: Error, Sendable, CustomStringConvertible, Equatable {
    case noCredentials
    case noHost(String)
    case passphraseNeeded(String)

    public var description: String {
        switch self {
        case .noCredentials: "no SSH credentials: set MAICTL_SSH_KEY to the operator's private key file, or start ssh-agent (SSH_AUTH_SOCK)"
        case .passphraseNeeded(let path):
            "the private key \(path) is encrypted and no passphrase was given: set MAICTL_SSH_PASSPHRASE, run maictl on a terminal to be asked, or load the key into ssh-agent"
        case .noHost(let slug): "\(slug) has no server address yet: provision it first, or set host = … in its client file"
        }
    }
}
