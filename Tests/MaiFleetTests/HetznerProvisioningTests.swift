import Foundation
import MaiCore
import MaiSimulators
import Synchronization
import Testing
@testable import MaiFleet

/// Provisioning against the Hetzner simulator on a real port (real HTTP, real JSON).
@Suite struct HetznerProvisioningTests {
    static let token = "sim-hcloud-token"

    /// A state directory, known_hosts and fleet defaults in a temporary directory.
    struct Workspace {
        let root: URL
        let state: StateDirectory
        let knownHosts: KnownHostsFile
        let defaults: FleetDefaults

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("maiprov-\(UUID().uuidString)")
            state = StateDirectory(url: root.appendingPathComponent("state"))
            try state.prepare()
            knownHosts = try KnownHostsFile(stateDirectory: state.url.path)
            var defaults = FleetDefaults()
            defaults.hetzner.sshKeys = ["operator"]
            defaults.hetzner.firewallSSHSources = ["203.0.113.0/24"]
            defaults.agent.version = "0.1.0"
            defaults.operatorEmail = "ops@example.com"
            self.defaults = defaults
        }

        func instance(_ slug: String) -> Instance {
            Instance(client: ClientSpec(slug: slug, name: slug, domain: "\(slug).example", adminEmail: "admin@\(slug).example"), defaults: defaults)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// Progress lines, collected.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    static func configuration(_ change: (inout HetznerConfiguration) -> Void = { _ in }) -> HetznerConfiguration {
        var configuration = HetznerConfiguration()
        configuration.tokens = [token]
        configuration.createDuration = .milliseconds(300)
        configuration.actionDuration = .milliseconds(50)
        configuration.hostPool = ["198.51.100.11", "198.51.100.12", "198.51.100.13"]
        change(&configuration)
        return configuration
    }

    static func client(_ base: String, token: String = token, lines: Lines? = nil) -> HetznerClient {
        HetznerClient(transport: HTTPHetznerTransport(endpoint: base + "/v1", token: Secret(token)),
                      retry: HetznerRetryPolicy(baseDelay: .milliseconds(100)), pollInterval: .milliseconds(50),
                      onWait: { lines?.append($0) })
    }

    static let operatorKey = GeneratedHostKey(comment: "operator").publicKey.openSSHLine + " operator@laptop"

    func provisioner(_ client: HetznerClient, _ workspace: Workspace, lines: Lines) -> Provisioner {
        Provisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts, cloudInit: CloudInit(),
                    defaults: workspace.defaults, operatorPublicKey: Self.operatorKey, actionTimeout: .seconds(20), progress: { lines.append($0) })
    }

    /// plan + ensureShared + provision each, as `maictl provision` does.
    func provisionAll(_ provisioner: Provisioner, _ instances: [Instance]) async throws -> [Provisioner.Outcome] {
        let survey = try await provisioner.survey(for: instances)
        let plan = provisioner.plan(instances: instances, fleetSlugs: Set(instances.map(\.slug)), survey: survey)
        let firewall = try await provisioner.ensureShared(plan, survey: survey)
        var outcomes: [Provisioner.Outcome] = []
        for instance in instances {
            let item = try #require(plan.items.first { $0.resource == "server" && $0.client == instance.slug })
            outcomes.append(try await provisioner.provision(instance, item: item, firewallID: firewall, survey: survey))
        }
        return outcomes
    }

    /// Templates that cannot be rendered are found before the SSH key is uploaded or the firewall
    /// made: provision says nothing changed, and nothing did.
    @Test func brokenTemplatesStopProvisionBeforeAnythingChanges() async throws {
        let simulator = HetznerSimulator(configuration: Self.configuration())
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let lines = Lines()
            let client = Self.client(base)
            var provisioner = provisioner(client, workspace, lines: lines)
            provisioner.cloudInit = CloudInit(directory: workspace.root.appendingPathComponent("no-templates"))
            let error = await #expect(throws: Provisioner.RunError.self) {
                _ = try await provisioner.run(instances: [workspace.instance("acme")], fleetSlugs: ["acme"], parallel: 2)
            }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("no-templates/cloud-init.yaml.mustache") && text.hasSuffix("Nothing was changed in the Hetzner project."), "\(text)")
            #expect(try await client.sshKeys().isEmpty, "no SSH key was uploaded")
            #expect(try await client.firewalls().isEmpty, "no firewall was made")
            #expect(try await client.servers().isEmpty)
            #expect(lines.all.isEmpty, "no progress: nothing was started: \(lines.all)")

            // The same run with the built-in templates makes everything.
            provisioner.cloudInit = CloudInit()
            let outcomes = try await provisioner.run(instances: [workspace.instance("acme")], fleetSlugs: ["acme"], parallel: 2)
            #expect(outcomes.map(\.result) == ["created"], "\(outcomes)")
            let keys = try await client.sshKeys(), firewalls = try await client.firewalls()
            #expect(keys.count == 1 && firewalls.count == 1, "\(keys) \(firewalls)")
        }
    }

    @Test func threeClientsGetExactlyThreeLabelledServersAndAgainNothing() async throws {
        let simulator = HetznerSimulator(configuration: Self.configuration())
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let lines = Lines()
            let client = Self.client(base)
            let provisioner = provisioner(client, workspace, lines: lines)
            let instances = ["acme", "globex", "initech"].map(workspace.instance)

            let first = try await provisionAll(provisioner, instances)
            #expect(first.map(\.result) == ["created", "created", "created"])
            #expect(first.map(\.ipv4) == ["198.51.100.11", "198.51.100.12", "198.51.100.13"])

            let servers = try await client.servers(labelSelector: ProvisionPlan.managedSelector)
            #expect(servers.count == 3)
            #expect(Set(servers.map(\.name)) == ["acme", "globex", "initech"])
            for server in servers {
                #expect(server.labels == ["mai/client": server.name, "mai/managed": "true"])
                #expect(server.status == "running")
                #expect(server.serverType.name == "cx23")
                #expect(server.location == "nbg1")
                // The host key in the user data is the one pinned under the server id, before any contact.
                let pinned = try #require(try workspace.knownHosts.key(for: String(server.id)))
                #expect(simulator.userData(serverName: server.name)?.contains("ed25519_public: \(pinned.openSSHLine)") == true)
                #expect(simulator.userData(serverName: server.name)?.contains("\(server.name).example {") == true)
                // Later commands find the instance through the state directory.
                let record = try #require(try workspace.state.serverRecord(for: server.name))
                #expect(record.id == server.id && record.ipv4 == server.ipv4)
                let connector = FleetConnector(state: workspace.state, credentials: .agent(socket: "/nonexistent"), knownHosts: workspace.knownHosts)
                #expect(try connector.target(for: workspace.instance(server.name)) == SSHTarget(serverID: String(server.id), host: server.ipv4!))
            }
            let keys = try await client.sshKeys(name: "operator")
            #expect(keys.count == 1)
            #expect(keys.first?.publicKey == Self.operatorKey)
            let firewalls = try await client.firewalls(name: ProvisionPlan.firewallName)
            #expect(firewalls.count == 1)
            let firewall = try #require(firewalls.first)
            #expect(firewall.rules.map { "\($0.port ?? "") \($0.sourceIPs.joined(separator: " "))" } == ["22 203.0.113.0/24", "80 0.0.0.0/0 ::/0", "443 0.0.0.0/0 ::/0"])
            for server in servers { #expect(server.publicNet.firewalls.map(\.id) == [firewall.id]) }
            #expect(lines.all.contains { $0.contains("create_server 100%") })

            // Again: nothing is created or changed — only reads.
            let before = simulator.requestLog.count
            let second = try await provisionAll(provisioner, instances)
            #expect(second.map(\.result) == ["kept", "kept", "kept"])
            let again = simulator.requestLog.dropFirst(before)
            #expect(again.allSatisfy { $0.hasPrefix("GET ") }, "second run sent \(again.filter { !$0.hasPrefix("GET ") })")
            #expect(again.count == 3, "one list call each for servers, SSH keys and the firewall")
            #expect(try await client.servers().count == 3)
        }
    }

    @Test func rateLimitsAndSlowActionsAreWaitedOut() async throws {
        let simulator = HetznerSimulator(configuration: Self.configuration {
            $0.rateLimit = 4
            $0.refillInterval = .seconds(1)  // slow enough that the budget is surely spent, even on a busy machine
            $0.createDuration = .milliseconds(1500)
        })
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let lines = Lines()
            let client = Self.client(base, lines: lines)
            let outcomes = try await provisionAll(provisioner(client, workspace, lines: lines), ["acme", "globex"].map(workspace.instance))
            #expect(outcomes.map(\.result) == ["created", "created"])
            #expect(lines.all.contains { $0.contains("rate limit spent") || $0.contains("rate_limit_exceeded") }, "no wait for the budget: \(lines.all)")
            // The slow create was polled until done: its progress started below 100 % and ended at
            // 100 %, and the simulator saw the action polled (how many polls depends on the machine's load).
            let progress = lines.all.filter { $0.hasPrefix("acme: create_server ") }
            #expect(progress.count >= 2 && progress.first != "acme: create_server 100%", "\(progress)")
            #expect(progress.last == "acme: create_server 100%", "\(progress)")
            #expect(simulator.requestLog.contains { $0.hasPrefix("GET /v1/actions/") }, "\(simulator.requestLog)")
            #expect(try await client.servers().map(\.status) == ["running", "running"])
        }
    }

    @Test func invalidInputIsReportedWithTheCorrelationID() async throws {
        let simulator = HetznerSimulator(configuration: Self.configuration())
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let client = Self.client(base)
            let creation = HetznerServerCreation(name: "Not_A_Hostname", serverType: "cx99", image: "debian-12", location: "nbg1",
                                                 sshKeys: [], userData: "", labels: [:], firewallIDs: [])
            let error = try #require(await #expect(throws: HetznerAPIError.self) { _ = try await client.createServer(creation) })
            #expect(error.code == "invalid_input")
            #expect(error.status == 400)
            #expect(Set(error.fields.map(\.name)) == ["name", "server_type"])
            let correlation = try #require(error.correlationID)
            #expect(correlation.count == 16)
            #expect(error.description.contains("correlation id \(correlation)"))

            // The same name twice: uniqueness_error, also with its id.
            let good = HetznerServerCreation(name: "acme", serverType: "cx23", image: "debian-12", location: "nbg1", sshKeys: [], userData: "", labels: [:], firewallIDs: [])
            _ = try await client.createServer(good)
            let duplicate = try #require(await #expect(throws: HetznerAPIError.self) { _ = try await client.createServer(good) })
            #expect(duplicate.code == "uniqueness_error")
            #expect(duplicate.correlationID != nil && duplicate.correlationID != correlation)

            let unauthorized = try #require(await #expect(throws: HetznerAPIError.self) { _ = try await Self.client(base, token: "wrong").servers() })
            #expect(unauthorized.code == "unauthorized")
            #expect(unauthorized.description.contains("HCLOUD_TOKEN"))
            #expect(!unauthorized.description.contains("wrong"))
        }
    }

    @Test func paginationIsFollowed() async throws {
        let simulator = HetznerSimulator(configuration: Self.configuration { $0.createDuration = .zero })
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let client = Self.client(base)
            for index in 1...55 {
                _ = try await client.createServer(HetznerServerCreation(
                    name: "host-\(index)", serverType: "cx23", image: "debian-12", location: "fsn1", sshKeys: [], userData: "",
                    labels: index % 5 == 0 ? ["mai/managed": "true"] : [:], firewallIDs: []))
            }
            let before = simulator.requestLog.count
            let all = try await client.servers()
            #expect(all.count == 55)
            #expect(Set(all.map(\.id)).count == 55)
            #expect(simulator.requestLog.dropFirst(before).count == 2, "two pages of 50")
            #expect(try await client.servers(labelSelector: "mai/managed=true").count == 11)
            #expect(try await client.servers(labelSelector: "!mai/managed").count == 44)
        }
    }

    @Test func deprovisionTakesTheBackupFirstAndForgetsTheServer() async throws {
        let simulator = HetznerSimulator(configuration: Self.configuration())
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let lines = Lines()
            let client = Self.client(base)
            let acme = workspace.instance("acme")
            _ = try await provisionAll(provisioner(client, workspace, lines: lines), [acme])
            let server = try #require(try await client.servers().first)

            // An agent without the backup endpoint: refused, nothing deleted.
            let refusing = Deprovisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts,
                                         backup: { throw FinalBackupError.endpointMissing(slug: $0.slug) })
            let error = await #expect(throws: FinalBackupError.self) { _ = try await refusing.deprovision(acme) }
            #expect(error?.description.contains("--skip-backup") == true)
            #expect(try await client.servers().count == 1)
            #expect(try workspace.knownHosts.key(for: String(server.id)) != nil)

            // With a backup: it is taken before the delete, then the server, pin and record go.
            let order = Lines()
            let deprovisioner = Deprovisioner(client: client, state: workspace.state, knownHosts: workspace.knownHosts, backup: { instance in
                order.append("backup, servers: \(simulator.requestLog.filter { $0.hasPrefix("DELETE") }.count) deleted")
                return URL(fileURLWithPath: "/tmp/\(instance.slug).backup")
            })
            let outcome = try await deprovisioner.deprovision(acme)
            #expect(outcome.result == "deleted" && outcome.serverID == server.id)
            #expect(order.all == ["backup, servers: 0 deleted"])
            #expect(try await client.servers().isEmpty)
            #expect(try workspace.knownHosts.key(for: String(server.id)) == nil)
            #expect(try workspace.state.serverRecord(for: "acme") == nil)
            #expect(try await deprovisioner.deprovision(acme).result == "absent")

            // The address goes back to the pool; a new server there is a new id with a new pin.
            let again = try await provisionAll(provisioner(client, workspace, lines: lines), [acme])
            #expect(again.first?.ipv4 == "198.51.100.12" || again.first?.ipv4 == "198.51.100.11")
            #expect(again.first?.serverID != server.id)
        }
    }

    @Test func theCatalogIsLookedUp() async throws {
        let simulator = HetznerSimulator(configuration: Self.configuration())
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let client = Self.client(base)
            let types = try await client.serverTypes()
            let cx23 = try #require(types.first { $0.name == "cx23" })
            #expect(cx23.cores == 2 && cx23.memory == 4 && cx23.architecture == "x86" && cx23.deprecated == false)
            #expect(types.first { $0.name == "cx22" }?.deprecated == true)
            #expect(try await client.locations().map(\.name).contains("nbg1"))
            #expect(try await client.images(name: "debian-12").map(\.osVersion) == ["12"])
        }
    }

    @Test func powerActionsAreWaitedForAndMissingServersAreNil() async throws {
        // Long enough that the server is surely still being created when the first power call comes (a busy machine).
        let simulator = HetznerSimulator(configuration: Self.configuration { $0.createDuration = .seconds(5) })
        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let client = Self.client(base)
            let created = try await client.createServer(HetznerServerCreation(
                name: "acme", serverType: "cx23", image: "debian-12", location: "hel1", sshKeys: [], userData: "", labels: [:], firewallIDs: []))
            #expect(created.rootPassword != nil, "no SSH key: Hetzner mails a root password")
            #expect(created.server.status == "initializing")
            // Locked while it is being created.
            let locked = try #require(await #expect(throws: HetznerAPIError.self) { _ = try await client.power(serverID: created.server.id, .poweroff) })
            #expect(locked.code == "locked")
            try await client.wait(for: created.action, timeout: .seconds(30))
            let off = try await client.power(serverID: created.server.id, .poweroff)
            #expect(off.command == "stop_server")
            try await client.wait(for: off, timeout: .seconds(10))
            #expect(try await client.server(id: created.server.id)?.status == "off")
            try await client.wait(for: try await client.power(serverID: created.server.id, .poweron), timeout: .seconds(10))
            #expect(try await client.server(id: created.server.id)?.status == "running")
            #expect(try await client.server(id: 987_654) == nil)
        }
    }
}
