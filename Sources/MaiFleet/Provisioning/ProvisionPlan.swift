import Foundation

/// What `maictl provision` would do, computed from the fleet files and what the Hetzner project has —
/// no side effects. `maictl plan` prints it; `Provisioner` carries it out.
public struct ProvisionPlan: Sendable, Equatable, Encodable {
    /// What happens to one resource.
    public enum Change: String, Sendable, Equatable, Encodable {
        /// Will be created.
        case create
        /// Exists but will be changed (firewall rules, firewall attachment).
        case update
        /// Exists as wanted.
        case keep
        /// Differs from the fleet files, and maictl will not change it on its own.
        case drift
        /// Not maictl's to provision (a fixed host).
        case skip
        /// A managed server no client file names.
        case orphan
        /// Cannot be done as things are; the detail says why and what to do.
        case problem
    }

    /// One line of the plan.
    public struct Item: Sendable, Equatable, Encodable {
        /// `ssh_key`, `firewall` or `server`.
        public var resource: String
        public var name: String
        /// The client slug, for servers.
        public var client: String?
        public var change: Change
        public var detail: String
        /// The existing resource's id.
        public var id: Int?
    }

    public var items: [Item]

    /// Items that `provision` would act on.
    public var pending: [Item] { items.filter { $0.change == .create || $0.change == .update } }
    /// Items that block provisioning.
    public var problems: [Item] { items.filter { $0.change == .problem } }

    /// The labels every managed server carries.
    public static func labels(for slug: String) -> [String: String] { ["mai/client": slug, "mai/managed": "true"] }
    /// Selects every server maictl manages.
    public static let managedSelector = "mai/managed=true"
    /// Selects one client's server.
    public static func selector(for slug: String) -> String { "mai/managed=true,mai/client=\(slug)" }
    /// The one firewall of the fleet.
    public static let firewallName = "mai-fleet"

    /// The firewall's rules: SSH from the operator's networks, HTTP and HTTPS from everywhere.
    public static func firewallRules(sshSources: [String]) -> [HetznerFirewallRule] {
        [
            .inboundTCP(port: "22", from: sshSources, description: "SSH from the operator (fleet.toml firewall_ssh_sources)"),
            .inboundTCP(port: "80", from: ["0.0.0.0/0", "::/0"], description: "HTTP (Caddy, ACME)"),
            .inboundTCP(port: "443", from: ["0.0.0.0/0", "::/0"], description: "HTTPS (Caddy)"),
        ]
    }

    /// What Hetzner offers, looked up (not hard-coded) when a server is to be created.
    public struct Catalog: Sendable, Equatable {
        public var serverTypes: [HetznerServerType]
        public var locations: [HetznerLocation]
        public var images: [HetznerImage]

        public init(serverTypes: [HetznerServerType], locations: [HetznerLocation], images: [HetznerImage]) {
            self.serverTypes = serverTypes
            self.locations = locations
            self.images = images
        }

        /// Why `instance`'s server cannot be created as configured, if it cannot.
        func problem(for instance: Instance) -> String? {
            var problems: [String] = []
            if !serverTypes.contains(where: { $0.name == instance.serverType }) {
                let current = serverTypes.filter { $0.deprecated != true }.map(\.name)
                problems.append("server_type \(instance.serverType) does not exist at Hetzner — use one of \(current.joined(separator: ", "))")
            }
            if !locations.contains(where: { $0.name == instance.location }) {
                problems.append("location \(instance.location) does not exist — use one of \(locations.map(\.name).joined(separator: ", "))")
            }
            if !images.contains(where: { $0.name == instance.image }) {
                problems.append("image \(instance.image) does not exist — use one of \(images.compactMap(\.name).joined(separator: ", "))")
            }
            return problems.isEmpty ? nil : problems.joined(separator: "; ") + " (fleet.toml [hetzner] or clients/\(instance.slug).toml)"
        }

        /// A note when the type is deprecated (Hetzner stops selling those).
        func note(for instance: Instance) -> String? {
            serverTypes.first { $0.name == instance.serverType && $0.deprecated == true }
                .map { "; \($0.name) is deprecated — prefer a current type" }
        }
    }

    /// The plan for `instances` (the selected clients) given the project's state.
    /// - Parameters:
    ///   - fleetSlugs: every client in the fleet files (orphans are managed servers not among them).
    ///   - operatorKeyAvailable: whether maictl has a public key to upload for a missing SSH key name.
    public static func make(instances: [Instance], fleetSlugs: Set<String>, sshKeyNames: [String], sshSources: [String],
                            existingKeys: [HetznerSSHKey], firewall: HetznerFirewall?, servers: [HetznerServer],
                            operatorKeyAvailable: Bool, catalog: Catalog? = nil) -> ProvisionPlan {
        var items: [Item] = []
        var uploadOffered = false
        for name in sshKeyNames {
            if let key = existingKeys.first(where: { $0.name == name }) {
                items.append(Item(resource: "ssh_key", name: name, change: .keep, detail: key.fingerprint, id: key.id))
            } else if operatorKeyAvailable, !uploadOffered {
                uploadOffered = true
                items.append(Item(resource: "ssh_key", name: name, change: .create, detail: "upload the operator's public key (MAICTL_SSH_KEY.pub)"))
            } else {
                items.append(Item(resource: "ssh_key", name: name, change: .problem, detail: ProvisionError.sshKeyMissing(name: name).description))
            }
        }

        let wantedRules = firewallRules(sshSources: sshSources)
        let needsServers = instances.contains { $0.host == nil }
        if let firewall {
            let same = firewall.rules.count == wantedRules.count
                && zip(firewall.rules, wantedRules).allSatisfy { $0.allowsSameTraffic(as: $1) }
            items.append(Item(resource: "firewall", name: firewall.name, change: same ? .keep : .update,
                              detail: same ? "22 from \(sshSources.joined(separator: " ")), 80/443 public" : "set rules: 22 from \(sshSources.joined(separator: " ")), 80/443 public",
                              id: firewall.id))
        } else if needsServers {
            items.append(Item(resource: "firewall", name: firewallName, change: .create, detail: "22 from \(sshSources.joined(separator: " ")), 80/443 public"))
        }

        for instance in instances {
            let mine = servers.filter { $0.labels["mai/client"] == instance.slug && $0.labels["mai/managed"] == "true" }
            if let host = instance.host {
                items.append(Item(resource: "server", name: instance.slug, client: instance.slug, change: .skip,
                                  detail: "runs on \(host) (host = … in clients/\(instance.slug).toml)"))
                continue
            }
            guard let server = mine.first else {
                if let clash = servers.first(where: { $0.name == instance.slug }) {
                    items.append(Item(resource: "server", name: instance.slug, client: instance.slug, change: .problem,
                                      detail: ProvisionError.nameTaken(slug: instance.slug, id: clash.id).description, id: clash.id))
                } else if let problem = catalog?.problem(for: instance) {
                    items.append(Item(resource: "server", name: instance.slug, client: instance.slug, change: .problem, detail: problem))
                } else {
                    items.append(Item(resource: "server", name: instance.slug, client: instance.slug, change: .create,
                                      detail: "\(instance.serverType) in \(instance.location), \(instance.image), labels mai/client=\(instance.slug) mai/managed=true"
                                        + (catalog?.note(for: instance) ?? "")))
                }
                continue
            }
            guard mine.count == 1 else {
                items.append(Item(resource: "server", name: instance.slug, client: instance.slug, change: .problem,
                                  detail: ProvisionError.duplicateServers(slug: instance.slug, ids: mine.map(\.id)).description))
                continue
            }
            var drift: [String] = []
            if server.serverType.name != instance.serverType {
                drift.append("server_type is \(server.serverType.name ?? "?"), fleet files say \(instance.serverType) (rescale in the console)")
            }
            if server.location != instance.location {
                drift.append("location is \(server.location), fleet files say \(instance.location) (a server cannot move)")
            }
            let address = server.ipv4 ?? "no IPv4"
            if let firewall, !server.publicNet.firewalls.contains(where: { $0.id == firewall.id }) {
                items.append(Item(resource: "server", name: server.name, client: instance.slug, change: .update,
                                  detail: "apply firewall \(firewall.name) (\(address), \(server.status))", id: server.id))
            } else if firewall == nil {
                items.append(Item(resource: "server", name: server.name, client: instance.slug, change: .update,
                                  detail: "apply firewall \(firewallName) (\(address), \(server.status))", id: server.id))
            } else if !drift.isEmpty {
                items.append(Item(resource: "server", name: server.name, client: instance.slug, change: .drift,
                                  detail: drift.joined(separator: "; "), id: server.id))
            } else {
                items.append(Item(resource: "server", name: server.name, client: instance.slug, change: .keep,
                                  detail: "\(address), \(server.status)", id: server.id))
            }
        }

        for server in servers where server.labels["mai/managed"] == "true" {
            let client = server.labels["mai/client"] ?? ""
            guard !fleetSlugs.contains(client) else { continue }
            items.append(Item(resource: "server", name: server.name, client: client.isEmpty ? nil : client, change: .orphan,
                              detail: "labelled mai/managed=true but no clients/\(client.isEmpty ? "?" : client).toml: deprovision or delete it", id: server.id))
        }
        return ProvisionPlan(items: items)
    }
}
