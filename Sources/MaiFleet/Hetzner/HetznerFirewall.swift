/// A firewall: rules and what it is applied to.
public struct HetznerFirewall: Sendable, Hashable, Codable {
    /// What a firewall is applied to: a server or a label selector.
    public struct AppliedTo: Sendable, Hashable, Codable {
        public struct ServerRef: Sendable, Hashable, Codable { public var id: Int }
        public struct Selector: Sendable, Hashable, Codable { public var selector: String }
        /// `server` or `label_selector`.
        public var type: String
        public var server: ServerRef?
        public var labelSelector: Selector?

        enum CodingKeys: String, CodingKey { case type, server, labelSelector = "label_selector" }

        public static func server(_ id: Int) -> AppliedTo { AppliedTo(type: "server", server: ServerRef(id: id)) }
    }

    public var id: Int
    public var name: String
    public var labels: [String: String]
    public var rules: [HetznerFirewallRule]
    public var appliedTo: [AppliedTo]
    public var created: String

    enum CodingKeys: String, CodingKey { case id, name, labels, rules, appliedTo = "applied_to", created }
}

/// One firewall rule (`direction`, `protocol`, `port`, `source_ips`, `destination_ips`, `description`).
public struct HetznerFirewallRule: Sendable, Hashable, Codable {
    /// `in` or `out`.
    public var direction: String
    /// `tcp`, `udp`, `icmp`, `esp`, `gre`.
    public var `protocol`: String
    /// A port or range (`"22"`, `"8000-8100"`); nil for icmp/esp/gre.
    public var port: String?
    public var sourceIPs: [String]
    public var destinationIPs: [String]
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case direction, `protocol`, port, sourceIPs = "source_ips", destinationIPs = "destination_ips", description
    }

    /// An inbound TCP rule.
    public static func inboundTCP(port: String, from sources: [String], description: String) -> HetznerFirewallRule {
        HetznerFirewallRule(direction: "in", protocol: "tcp", port: port, sourceIPs: sources, destinationIPs: [], description: description)
    }

    /// Same traffic allowed (description and address order ignored) — what decides whether rules must be set again.
    public func allowsSameTraffic(as other: HetznerFirewallRule) -> Bool {
        direction == other.direction && self.protocol == other.protocol && port == other.port
            && Set(sourceIPs) == Set(other.sourceIPs) && Set(destinationIPs) == Set(other.destinationIPs)
    }
}

/// `POST /firewalls` → `{firewall, actions}`.
public struct HetznerCreatedFirewall: Sendable, Codable {
    public var firewall: HetznerFirewall
    public var actions: [HetznerAction]
}
