import Foundation

/// One API call before authentication is added: method, path under the endpoint, query, JSON body.
/// Built by the pure functions below so tests compare them without a network.
public struct HetznerRequest: Sendable, Equatable {
    public var method: String
    /// Path under the endpoint, starting with `/` (`/servers/42`).
    public var path: String
    public var query: [URLQueryItem]
    public var body: Data?

    public init(method: String, path: String, query: [URLQueryItem] = [], body: Data? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    /// Whether sending it twice is harmless (reads and deletes); writes are retried only when the
    /// API said it did not act (429, 409 conflict, 503).
    var isIdempotent: Bool { method == "GET" || method == "DELETE" || method == "PUT" }

    /// `path?query`, percent-encoded.
    public var pathAndQuery: String {
        var components = URLComponents()
        components.path = path
        if !query.isEmpty { components.queryItems = query }
        // `+` means space to many servers; encode it (label selectors never have one, names might).
        return (components.percentEncodedPath) + (components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") } ?? "")
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ method: String, _ path: String, _ body: some Encodable) -> HetznerRequest {
        HetznerRequest(method: method, path: path, body: try? encoder.encode(body))
    }
}

/// The body of `POST /servers`.
public struct HetznerServerCreation: Sendable, Equatable, Codable {
    public struct FirewallRef: Sendable, Equatable, Codable { public var firewall: Int }
    public struct PublicNet: Sendable, Equatable, Codable {
        public var enableIPv4: Bool
        public var enableIPv6: Bool
        enum CodingKeys: String, CodingKey { case enableIPv4 = "enable_ipv4", enableIPv6 = "enable_ipv6" }
    }

    public var name: String
    public var serverType: String
    public var image: String
    public var location: String
    public var sshKeys: [String]
    public var userData: String
    public var labels: [String: String]
    public var firewalls: [FirewallRef]
    public var startAfterCreate: Bool
    public var publicNet: PublicNet

    public init(name: String, serverType: String, image: String, location: String, sshKeys: [String], userData: String,
                labels: [String: String], firewallIDs: [Int]) {
        self.name = name
        self.serverType = serverType
        self.image = image
        self.location = location
        self.sshKeys = sshKeys
        self.userData = userData
        self.labels = labels
        self.firewalls = firewallIDs.map(FirewallRef.init(firewall:))
        self.startAfterCreate = true
        self.publicNet = PublicNet(enableIPv4: true, enableIPv6: true)
    }

    enum CodingKeys: String, CodingKey {
        case name, serverType = "server_type", image, location, sshKeys = "ssh_keys", userData = "user_data", labels, firewalls
        case startAfterCreate = "start_after_create", publicNet = "public_net"
    }
}

extension HetznerRequest {
    /// `GET /servers` page `page`, filtered by label selector and/or name.
    public static func listServers(labelSelector: String? = nil, name: String? = nil, page: Int = 1, perPage: Int = 50) -> HetznerRequest {
        list("/servers", filters: [("label_selector", labelSelector), ("name", name)], page: page, perPage: perPage)
    }

    public static func getServer(_ id: Int) -> HetznerRequest { HetznerRequest(method: "GET", path: "/servers/\(id)") }
    public static func createServer(_ body: HetznerServerCreation) -> HetznerRequest { json("POST", "/servers", body) }
    public static func deleteServer(_ id: Int) -> HetznerRequest { HetznerRequest(method: "DELETE", path: "/servers/\(id)") }

    /// `POST /servers/{id}/actions/poweron|poweroff|reboot|shutdown`.
    public static func serverAction(_ id: Int, _ command: String) -> HetznerRequest {
        HetznerRequest(method: "POST", path: "/servers/\(id)/actions/\(command)")
    }

    public static func getAction(_ id: Int) -> HetznerRequest { HetznerRequest(method: "GET", path: "/actions/\(id)") }

    public static func listSSHKeys(name: String? = nil, fingerprint: String? = nil, page: Int = 1, perPage: Int = 50) -> HetznerRequest {
        list("/ssh_keys", filters: [("name", name), ("fingerprint", fingerprint)], page: page, perPage: perPage)
    }

    public static func createSSHKey(name: String, publicKey: String, labels: [String: String]) -> HetznerRequest {
        struct Body: Encodable { let name: String; let public_key: String; let labels: [String: String] }
        return json("POST", "/ssh_keys", Body(name: name, public_key: publicKey, labels: labels))
    }

    public static func listFirewalls(name: String? = nil, labelSelector: String? = nil, page: Int = 1, perPage: Int = 50) -> HetznerRequest {
        list("/firewalls", filters: [("name", name), ("label_selector", labelSelector)], page: page, perPage: perPage)
    }

    public static func createFirewall(name: String, labels: [String: String], rules: [HetznerFirewallRule]) -> HetznerRequest {
        struct Body: Encodable { let name: String; let labels: [String: String]; let rules: [HetznerFirewallRule] }
        return json("POST", "/firewalls", Body(name: name, labels: labels, rules: rules))
    }

    public static func setFirewallRules(_ id: Int, rules: [HetznerFirewallRule]) -> HetznerRequest {
        struct Body: Encodable { let rules: [HetznerFirewallRule] }
        return json("POST", "/firewalls/\(id)/actions/set_rules", Body(rules: rules))
    }

    public static func applyFirewall(_ id: Int, toServers servers: [Int]) -> HetznerRequest {
        struct Body: Encodable { let apply_to: [HetznerFirewall.AppliedTo] }
        return json("POST", "/firewalls/\(id)/actions/apply_to_resources", Body(apply_to: servers.map(HetznerFirewall.AppliedTo.server)))
    }

    public static func listServerTypes(page: Int = 1) -> HetznerRequest { list("/server_types", filters: [], page: page, perPage: 50) }
    public static func listLocations(page: Int = 1) -> HetznerRequest { list("/locations", filters: [], page: page, perPage: 50) }
    public static func listImages(name: String? = nil, type: String? = "system", page: Int = 1) -> HetznerRequest {
        list("/images", filters: [("name", name), ("type", type)], page: page, perPage: 50)
    }

    static func list(_ path: String, filters: [(String, String?)], page: Int, perPage: Int) -> HetznerRequest {
        var query = filters.compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        query.append(URLQueryItem(name: "page", value: String(page)))
        query.append(URLQueryItem(name: "per_page", value: String(perPage)))
        return HetznerRequest(method: "GET", path: path, query: query)
    }
}
