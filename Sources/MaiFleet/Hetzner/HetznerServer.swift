import Foundation

/// A server as `GET /servers` answers it (the fields maictl reads; the rest are ignored).
public struct HetznerServer: Sendable, Hashable, Codable {
    /// `public_net`: addresses and attached firewalls.
    public struct PublicNet: Sendable, Hashable, Codable {
        public struct IPv4: Sendable, Hashable, Codable {
            public var ip: String
            public var blocked: Bool
            public var dnsPtr: String?
            enum CodingKeys: String, CodingKey { case ip, blocked, dnsPtr = "dns_ptr" }
        }
        public struct IPv6: Sendable, Hashable, Codable {
            public var ip: String
            public var blocked: Bool
        }
        public struct AttachedFirewall: Sendable, Hashable, Codable {
            public var id: Int
            /// `applied` or `pending`.
            public var status: String
        }
        public var ipv4: IPv4?
        public var ipv6: IPv6?
        public var firewalls: [AttachedFirewall]
    }

    /// The `name` of a nested object (`server_type`, `image`, `datacenter.location`).
    public struct Named: Sendable, Hashable, Codable {
        public var id: Int
        public var name: String?
    }

    public struct Datacenter: Sendable, Hashable, Codable {
        public var id: Int
        public var name: String
        public var location: Named
    }

    public var id: Int
    public var name: String
    /// `initializing, starting, running, stopping, off, deleting, migrating, rebuilding, unknown`.
    public var status: String
    public var created: String
    public var publicNet: PublicNet
    public var serverType: Named
    public var datacenter: Datacenter
    public var image: Named?
    public var labels: [String: String]
    public var locked: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, status, created, publicNet = "public_net", serverType = "server_type", datacenter, image, labels, locked
    }

    /// The public IPv4 address, if the server has one.
    public var ipv4: String? { publicNet.ipv4?.ip }
    /// The location's name (`nbg1`).
    public var location: String { datacenter.location.name ?? "" }
}

/// `POST /servers` → 201 `{server, action, next_actions, root_password}`.
public struct HetznerCreatedServer: Sendable, Codable {
    public var server: HetznerServer
    public var action: HetznerAction
    public var nextActions: [HetznerAction]
    public var rootPassword: String?

    enum CodingKeys: String, CodingKey { case server, action, nextActions = "next_actions", rootPassword = "root_password" }
}
