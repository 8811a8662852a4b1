import Foundation

/// How the Hetzner simulator behaves: accepted tokens, the per-token request budget, how long actions
/// take, and the addresses created servers get.
public struct HetznerConfiguration: Sendable {
    /// Bearer tokens the API accepts.
    public var tokens: Set<String> = ["sim-hcloud-token"]
    /// Requests per token when the budget is full (Hetzner: 3600).
    public var rateLimit: Int = 3600
    /// Time for one request of budget to refill (Hetzner: 1 s).
    public var refillInterval: Duration = .seconds(1)
    /// How long `create_server` runs.
    public var createDuration: Duration = .seconds(3)
    /// How long other actions (delete, power, firewall rules) run.
    public var actionDuration: Duration = .milliseconds(500)
    /// IPv4 addresses handed to created servers in order (e.g. the test fleet's 198.51.100.x hosts);
    /// after them, addresses from 192.0.2.0/24 (documentation range, never reachable).
    public var hostPool: [String] = []

    public init() {}
}
