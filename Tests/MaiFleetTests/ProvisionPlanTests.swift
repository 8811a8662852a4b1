import Foundation
import Testing
@testable import MaiFleet

@Suite struct ProvisionPlanTests {
    static func instance(_ slug: String, serverType: String? = nil, host: String? = nil) -> Instance {
        var defaults = FleetDefaults()
        defaults.hetzner.sshKeys = ["operator"]
        var client = ClientSpec(slug: slug, name: slug, domain: "\(slug).example", adminEmail: "a@\(slug).example")
        client.serverType = serverType
        client.host = host
        return Instance(client: client, defaults: defaults)
    }

    static func server(_ id: Int, _ slug: String, type: String = "cx23", firewalls: [Int] = [1], managed: Bool = true) -> HetznerServer {
        HetznerServer(
            id: id, name: slug, status: "running", created: "2026-01-01T00:00:00+00:00",
            publicNet: .init(ipv4: .init(ip: "198.51.100.\(id)", blocked: false), ipv6: nil, firewalls: firewalls.map { .init(id: $0, status: "applied") }),
            serverType: .init(id: 1, name: type), datacenter: .init(id: 2, name: "nbg1-dc3", location: .init(id: 2, name: "nbg1")),
            image: .init(id: 3, name: "debian-12"), labels: managed ? ProvisionPlan.labels(for: slug) : [:], locked: false)
    }

    static let key = HetznerSSHKey(id: 9, name: "operator", fingerprint: "aa:bb", publicKey: "ssh-ed25519 AAAA", labels: [:], created: "")
    static let sources = ["203.0.113.0/24"]
    static let firewall = HetznerFirewall(id: 1, name: "mai-fleet", labels: [:], rules: ProvisionPlan.firewallRules(sshSources: sources), appliedTo: [], created: "")

    func plan(_ instances: [Instance], keys: [HetznerSSHKey] = [key], firewall: HetznerFirewall? = firewall, servers: [HetznerServer] = [],
              operatorKey: Bool = true, fleet: Set<String>? = nil) -> ProvisionPlan {
        ProvisionPlan.make(instances: instances, fleetSlugs: fleet ?? Set(instances.map(\.slug)), sshKeyNames: ["operator"], sshSources: Self.sources,
                           existingKeys: keys, firewall: firewall, servers: servers, operatorKeyAvailable: operatorKey)
    }

    func changes(_ plan: ProvisionPlan) -> [String] {
        plan.items.map { "\($0.change.rawValue) \($0.resource) \($0.name)" }
    }

    @Test func anEmptyProjectGetsEverything() {
        let result = plan([Self.instance("acme"), Self.instance("globex")], keys: [], firewall: nil)
        #expect(changes(result) == ["create ssh_key operator", "create firewall mai-fleet", "create server acme", "create server globex"])
        #expect(result.pending.count == 4)
        #expect(result.items[2].detail.contains("cx23 in nbg1, debian-12"))
    }

    @Test func aProvisionedFleetNeedsNothing() {
        let result = plan([Self.instance("acme")], servers: [Self.server(11, "acme")])
        #expect(changes(result) == ["keep ssh_key operator", "keep firewall mai-fleet", "keep server acme"])
        #expect(result.pending.isEmpty)
        #expect(result.items[2].id == 11)
    }

    @Test func changedSSHSourcesUpdateTheFirewallRules() {
        var firewall = Self.firewall
        firewall.rules[0].sourceIPs = ["0.0.0.0/0"]
        let result = plan([Self.instance("acme")], firewall: firewall, servers: [Self.server(11, "acme")])
        #expect(changes(result).contains("update firewall mai-fleet"))
        // Order and descriptions alone are no change.
        var reordered = Self.firewall
        reordered.rules[1].description = nil
        reordered.rules[1].sourceIPs.reverse()
        #expect(changes(plan([Self.instance("acme")], firewall: reordered, servers: [Self.server(11, "acme")])).contains("keep firewall mai-fleet"))
    }

    @Test func aServerWithoutTheFirewallGetsItApplied() {
        let result = plan([Self.instance("acme")], servers: [Self.server(11, "acme", firewalls: [])])
        #expect(changes(result).last == "update server acme")
        #expect(result.items.last?.detail.contains("apply firewall mai-fleet") == true)
    }

    @Test func aDifferentServerTypeIsDriftNotAChange() {
        let result = plan([Self.instance("acme", serverType: "cx33")], servers: [Self.server(11, "acme", type: "cx23")])
        #expect(changes(result).last == "drift server acme")
        #expect(result.pending.isEmpty)
        #expect(result.items.last?.detail.contains("cx33") == true)
    }

    @Test func fixedHostsAreSkippedAndOrphansNamed() {
        let result = plan([Self.instance("acme", host: "198.51.100.11")], servers: [Self.server(12, "initech")], fleet: ["acme"])
        #expect(changes(result) == ["keep ssh_key operator", "keep firewall mai-fleet", "skip server acme", "orphan server initech"])
    }

    @Test func duplicatesAndNameClashesAreProblemsWithAdvice() {
        let duplicate = plan([Self.instance("acme")], servers: [Self.server(11, "acme"), Self.server(12, "acme")])
        #expect(duplicate.problems.count == 1)
        #expect(duplicate.problems[0].detail.contains("11, 12"))
        let clash = plan([Self.instance("acme")], servers: [Self.server(13, "acme", managed: false)])
        #expect(clash.problems.count == 1)
        #expect(clash.problems[0].detail.contains("mai/client=acme"))
    }

    @Test func aMissingKeyWithoutAnOperatorKeyIsAProblem() {
        let result = plan([Self.instance("acme")], keys: [], operatorKey: false)
        #expect(result.problems.first?.resource == "ssh_key")
        #expect(result.problems.first?.detail.contains("MAICTL_SSH_KEY") == true)
    }

    @Test func theCatalogRefusesUnknownTypesAndNotesDeprecatedOnes() {
        let catalog = ProvisionPlan.Catalog(
            serverTypes: [
                HetznerServerType(id: 1, name: "cx22", description: "CX22", cores: 2, memory: 4, disk: 40, architecture: "x86", cpuType: "shared", deprecated: true),
                HetznerServerType(id: 2, name: "cx23", description: "CX23", cores: 2, memory: 4, disk: 40, architecture: "x86", cpuType: "shared", deprecated: false),
            ],
            locations: [HetznerLocation(id: 2, name: "nbg1", description: "Nuremberg", country: "DE", city: "Nuremberg", networkZone: "eu-central")],
            images: [HetznerImage(id: 3, type: "system", status: "available", name: "debian-12", description: "Debian 12", osFlavor: "debian", osVersion: "12", architecture: "x86")])
        let make = { (instance: Instance) in
            ProvisionPlan.make(instances: [instance], fleetSlugs: [instance.slug], sshKeyNames: ["operator"], sshSources: Self.sources,
                               existingKeys: [Self.key], firewall: Self.firewall, servers: [], operatorKeyAvailable: true, catalog: catalog)
        }
        let unknown = make(Self.instance("acme", serverType: "cx99"))
        #expect(unknown.problems.count == 1)
        #expect(unknown.problems.first?.detail.contains("server_type cx99 does not exist") == true)
        #expect(unknown.problems.first?.detail.contains("use one of cx23") == true, "deprecated types are not suggested")
        let deprecated = make(Self.instance("acme", serverType: "cx22"))
        #expect(deprecated.problems.isEmpty)
        #expect(deprecated.items.last?.change == .create)
        #expect(deprecated.items.last?.detail.contains("cx22 is deprecated") == true)
        #expect(make(Self.instance("acme")).items.last?.detail.contains("deprecated") == false)
    }
}
