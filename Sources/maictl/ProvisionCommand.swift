import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl provision <client>… | --all`: SSH key, firewall and one server per client, idempotently.
struct ProvisionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provision",
        abstract: "Create what is missing on Hetzner Cloud: the SSH key, the firewall and each client's server.",
        discussion: """
            Servers are found by their labels (mai/client=<slug>, mai/managed=true), so running it again \
            creates nothing. A new server gets the cloud-init built into maictl (podman, Caddy with automatic \
            HTTPS for the client's domain, /srv/mai/data) and an ed25519 host key made here and pinned \
            under the server's id before the first connection. The server's id and address are recorded \
            in the state directory; status, health and deploy find the instance there.
            Progress goes to stderr, one result line per client to stdout.
            Needs HCLOUD_TOKEN (HCLOUD_ENDPOINT overrides the API URL, e.g. for mai-sim hetzner).
            Exit codes: 0 all done, 1 nothing done, 2 some clients failed, 64 bad arguments or fleet files.

            Example: maictl provision acme globex
            Example: maictl provision --all -o json
            """
    )

    @OptionGroup var setup: ProvisioningOptions
    @Argument(help: ArgumentHelp("Clients (slugs) to provision.", valueName: "client")) var clients: [String] = []
    @Flag(help: "Provision every enabled client.") var all = false
    @Option(help: "Clients worked on at once (create calls are sent one after the other).") var parallel: Int = 4

    func validate() throws {
        guard all != !clients.isEmpty else { throw ValidationError("Name the clients to provision, or pass --all (not both).") }
        guard (1...16).contains(parallel) else { throw ValidationError("--parallel must be from 1 to 16.") }
    }

    func run() async throws {
        let context = try setup.context(clients: all ? nil : clients)
        let outcomes: [Provisioner.Outcome]
        do {
            // Everything is checked (templates included) before the project changes.
            outcomes = try await context.provisioner.run(instances: context.selected, fleetSlugs: context.fleetSlugs, parallel: parallel)
        } catch {
            Stderr.write("maictl provision: \(error)")
            throw ExitCode(1)
        }
        let columns: [(String, (Provisioner.Outcome) -> String)] = [
            ("client", \.client), ("result", \.result), ("server", { $0.serverID.map(String.init) ?? "" }),
            ("ipv4", { $0.ipv4 ?? "" }), ("detail", \.detail),
        ]
        setup.print(outcomes, columns: columns)
        let failures = outcomes.filter { $0.result == "failed" }
        for failure in failures { Stderr.write("maictl provision: \(failure.client): \(failure.detail)") }
        throw fleetExitCode(failures: failures.count, total: outcomes.count)
    }
}

/// Options and set-up shared by plan, provision and deprovision.
struct ProvisioningOptions: ParsableArguments {
    @OptionGroup var fleet: FleetOptions
    @Option(help: ArgumentHelp("A directory whose cloud-init.yaml.mustache and Caddyfile.mustache replace the built-in templates.", valueName: "dir"))
    var templates: String?
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: OutputFormat = .table

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    /// Everything the commands need, or exit 64 (fleet files, unknown client) / 1 (environment).
    struct Context {
        var fleet: Fleet
        var selected: [Instance]
        var fleetSlugs: Set<String>
        var provisioner: Provisioner
        var state: StateDirectory
        var knownHosts: KnownHostsFile
    }

    /// `clients` nil means every enabled client.
    func context(clients: [String]?, includeDisabled: Bool = false,
                 environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Context {
        let loaded: Fleet
        do {
            loaded = try FleetLoader(directory: fleet.directoryURL, displayPath: fleet.directory).load()
        } catch {
            Stderr.write(error.description)
            Stderr.write("Fix the fleet files (maictl fleet validate) and try again.")
            throw ExitCode(64)
        }
        let enabled = loaded.instances.filter { includeDisabled || !$0.disabled }
        var selected = enabled
        if let clients {
            let known = Set(enabled.map(\.slug))
            let unknown = clients.filter { !known.contains($0) }
            guard unknown.isEmpty else {
                Stderr.write("No \(includeDisabled ? "" : "enabled ")client named \(unknown.joined(separator: ", ")) in \(fleet.directory)/clients/.")
                throw ExitCode(64)
            }
            selected = enabled.filter { clients.contains($0.slug) }
        }
        do {
            let client = try HetznerClient.fromEnvironment(environment)
            let state = try StateDirectory(environment: environment)
            try state.prepare()
            let knownHosts = try KnownHostsFile(stateDirectory: state.url.path)
            var hetzner = client
            hetzner.onWait = { Stderr.write("hetzner: \($0)") }
            let provisioner = Provisioner(
                client: hetzner, state: state, knownHosts: knownHosts,
                cloudInit: CloudInit(directory: templates.map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath, isDirectory: true) }),
                defaults: loaded.defaults, operatorPublicKey: Self.operatorPublicKey(environment),
                progress: { Stderr.write($0) })
            return Context(fleet: loaded, selected: selected, fleetSlugs: Set(loaded.clients.map(\.slug)), provisioner: provisioner,
                           state: state, knownHosts: knownHosts)
        } catch {
            Stderr.write("maictl: \(error)")
            throw ExitCode(1)
        }
    }

    /// The operator's public key: `MAICTL_SSH_PUBLIC_KEY` (a file), else `$MAICTL_SSH_KEY.pub`.
    static func operatorPublicKey(_ environment: [String: String]) -> String? {
        let candidates = [environment["MAICTL_SSH_PUBLIC_KEY"], environment["MAICTL_SSH_KEY"].map { $0 + ".pub" }]
        for case let path? in candidates where !path.isEmpty {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               HostKey(openSSHLine: text.trimmingCharacters(in: .whitespacesAndNewlines)) != nil {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        return nil
    }

    /// Prints `rows` on stdout: JSON, or a table of `columns` (title, cell).
    func print<Row: Encodable>(_ rows: [Row], columns: [(String, (Row) -> String)]) {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            Swift.print(String(decoding: (try? encoder.encode(rows)) ?? Data("[]".utf8), as: UTF8.self))
        case .table:
            var table = Table(columns: columns.map { Table.Column($0.0) })
            for row in rows { table.append(columns.map { $0.1(row) }) }
            Swift.print(table.render(), terminator: "")
        }
    }
}
