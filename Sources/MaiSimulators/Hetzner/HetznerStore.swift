import Foundation

/// Everything the Hetzner simulator remembers; guarded by the simulator's mutex.
struct HetznerStore {
    struct Server {
        var id: Int
        var name: String
        var serverType: HetznerCatalog.ServerType
        var location: HetznerCatalog.Location
        var image: HetznerCatalog.Image
        var labels: [String: String]
        var created: Date
        var ipv4: String
        var ipv6: String
        var userData: String?
        var sshKeys: [Int]
        var createActionID: Int
        var poweredOn: Bool
        var firewalls: [Int]
    }

    struct SSHKey {
        var id: Int
        var name: String
        var publicKey: String
        var fingerprint: String
        var labels: [String: String]
        var created: Date
    }

    struct Firewall {
        var id: Int
        var name: String
        var labels: [String: String]
        var rules: [JSONValue]
        var created: Date
        var appliedServers: [Int]
        var selectors: [String]
    }

    struct Action {
        var id: Int
        var command: String
        var started: Date
        var duration: TimeInterval
        var resources: [(id: Int, type: String)]
    }

    struct Budget {
        var remaining: Double
        var refilledAt: Date
    }

    var nextID = 1
    var servers: [Int: Server] = [:]
    var sshKeys: [Int: SSHKey] = [:]
    var firewalls: [Int: Firewall] = [:]
    var actions: [Int: Action] = [:]
    var budgets: [String: Budget] = [:]
    /// Addresses for new servers, first come first served; a deleted server's pool address returns
    /// to the end (Hetzner hands old addresses to new servers too).
    var freeAddresses: [String] = []
    var pool: [String] = []
    var generated = 0
    /// `METHOD /path` of every authenticated API request, in order.
    var requestLog: [String] = []

    mutating func makeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    mutating func startAction(_ command: String, now: Date, duration: Duration, resources: [(Int, String)]) -> Action {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        let action = Action(id: makeID(), command: command, started: now, duration: seconds, resources: resources.map { ($0.0, $0.1) })
        actions[action.id] = action
        return action
    }

    /// The next address for a new server: the pool in order, then 192.0.2.x.
    mutating func nextAddress() -> String {
        if !freeAddresses.isEmpty { return freeAddresses.removeFirst() }
        generated += 1
        return "192.0.2.\((generated - 1) % 254 + 1)"
    }

    /// Replaces the pool (addresses already in use stay with their servers).
    mutating func setPool(_ addresses: [String]) {
        let used = Set(servers.values.map(\.ipv4))
        pool = addresses
        freeAddresses = addresses.filter { !used.contains($0) }
    }

    /// Gives a deleted server's address back.
    mutating func release(_ address: String) {
        if pool.contains(address) { freeAddresses.append(address) }
    }
}
