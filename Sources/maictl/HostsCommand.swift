import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl hosts …`: the host keys maictl has pinned (its own known_hosts, keyed by server id).
struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "List, pin and forget the SSH host keys maictl trusts.",
        discussion: """
            Host keys are pinned at provisioning, so maictl never trusts a key on first use. When a
            server is rebuilt its key changes and maictl refuses to connect; verify the new
            fingerprint in the provider's console, then pin it:
              maictl hosts pin acme --fingerprint SHA256:…
            """,
        subcommands: [HostsList.self, HostsPin.self, HostsForget.self]
    )
}

/// Resolves a client slug (or a pinned server id) given on the command line.
private func resolve(_ name: String, in fleet: FleetOptions) throws -> (serverID: String, instance: Instance?) {
    let loaded: Fleet
    do {
        loaded = try FleetLoader(directory: fleet.directoryURL, displayPath: fleet.directory).load()
    } catch {
        Stderr.write(error.description)
        Stderr.write("Fix the fleet files (maictl fleet validate) and try again.")
        throw ExitCode(64)
    }
    let state = try? StateDirectory(environment: ProcessInfo.processInfo.environment)
    func serverID(_ instance: Instance) -> String {
        if instance.host == nil, let record = try? state?.serverRecord(for: instance.slug) { return record.serverID }
        return FleetConnector.serverID(for: instance)
    }
    if let instance = loaded.instances.first(where: { $0.slug == name || serverID($0) == name }) {
        return (serverID(instance), instance)
    }
    return (name, nil)
}

private func knownHostsFile() throws -> KnownHostsFile {
    do {
        let state = try StateDirectory(environment: ProcessInfo.processInfo.environment)
        try state.prepare()
        return try KnownHostsFile(stateDirectory: state.url.path)
    } catch {
        Stderr.write("maictl: \(error)")
        throw ExitCode(1)
    }
}

/// `maictl hosts list [-o table|json]`.
struct HostsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show every pinned host key and the client it belongs to.",
        discussion: "Example: maictl hosts list -o json"
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var fleet: FleetOptions
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table

    struct Row: Encodable {
        var serverId: String
        var client: String?
        var keyType: String
        var fingerprint: String
    }

    func run() async throws {
        let pins = try knownHostsFile().load()
        let instances = (try? FleetLoader(directory: fleet.directoryURL, displayPath: fleet.directory).load().instances) ?? []
        let state = try? StateDirectory(environment: ProcessInfo.processInfo.environment)
        let clientByServer = Dictionary(instances.map { instance in
            let record = instance.host == nil ? (try? state?.serverRecord(for: instance.slug)) ?? nil : nil
            return (record?.serverID ?? FleetConnector.serverID(for: instance), instance.slug)
        }, uniquingKeysWith: { a, _ in a })
        let rows = pins.entries.keys.sorted().map { id in
            Row(serverId: id, client: clientByServer[id], keyType: pins.entries[id]!.type, fingerprint: pins.entries[id]!.fingerprint)
        }
        switch format {
        case .json:
            print(try resultJSON(rows))
        case .table:
            var table = Table(columns: [.init("server"), .init("client"), .init("type"), .init("fingerprint")])
            for row in rows { table.append([row.serverId, row.client ?? "(no client)", row.keyType, row.fingerprint]) }
            print(table.render(), terminator: "")
        }
    }
}

/// `maictl hosts pin <client> --fingerprint SHA256:…`: connects, and pins the key the server
/// presents only if it has exactly the fingerprint the operator verified.
struct HostsPin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin",
        abstract: "Pin a server's host key after verifying its fingerprint (replaces a changed key).",
        discussion: """
            Take the fingerprint from the provider's console (on the server:
            ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), never from the network.
            Example: maictl hosts pin acme --fingerprint SHA256:Qm9v…
            """
    )

    @OptionGroup var fleet: FleetOptions
    @Argument(help: "The client (slug) whose server to pin.") var client: String
    @Option(help: ArgumentHelp("The fingerprint you verified, SHA256:….", valueName: "fingerprint")) var fingerprint: String

    func validate() throws {
        guard fingerprint.hasPrefix("SHA256:"), fingerprint.count > 20, !fingerprint.contains(where: \.isWhitespace) else {
            throw ValidationError("--fingerprint must be an SHA256 fingerprint as ssh-keygen -l prints it, like SHA256:Qm9vYmFy…")
        }
    }

    func run() async throws {
        let (serverID, instance) = try resolve(client, in: fleet)
        guard let instance else {
            Stderr.write("No client named \(client) in \(fleet.directory)/.")
            throw ExitCode(64)
        }
        let connector: FleetConnector
        do {
            connector = try FleetConnector.fromEnvironment(options: SSHOptions(hostKeyPolicy: .pinIfFingerprint(fingerprint)),
                                                           passphrasePrompt: TerminalPrompt.passphrase)
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(1)
        }
        let before = try connector.knownHosts.key(for: serverID)
        do {
            try await connector.withSession(instance) { _ in }
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(1)
        }
        let after = try connector.knownHosts.key(for: serverID)
        if before == after {
            Stderr.write("\(instance.slug) (server \(serverID)): \(after.map(\.description) ?? "?") was already pinned.")
        } else {
            Stderr.write("\(instance.slug) (server \(serverID)): pinned \(after.map(\.description) ?? "?")"
                + (before.map { ", replacing \($0)" } ?? "") + ".")
        }
    }
}

/// `maictl hosts forget <client|server-id>`.
struct HostsForget: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove a pinned host key (maictl then refuses that server until it is pinned again).",
        discussion: "Example: maictl hosts forget acme"
    )

    @OptionGroup var fleet: FleetOptions
    @Argument(help: "A client slug, or the server id of a pin without a client.") var name: String

    func run() async throws {
        let (serverID, instance) = try resolve(name, in: fleet)
        let label = instance.map { "\($0.slug) (server \(serverID))" } ?? "server \(serverID)"
        if try knownHostsFile().forget(serverID: serverID) {
            Stderr.write("Forgot the host key of \(label). Pin the new one with: maictl hosts pin \(instance?.slug ?? serverID) --fingerprint SHA256:…")
        } else {
            Stderr.write("No host key is pinned for \(label); nothing changed.")
            throw ExitCode(1)
        }
    }
}
