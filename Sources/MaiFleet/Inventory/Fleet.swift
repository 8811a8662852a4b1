/// A validated fleet: the defaults, the clients as written, and the resolved instances (by slug).
public struct Fleet: Sendable, Hashable {
    /// `fleet.toml`.
    public var defaults: FleetDefaults
    /// `clients/*.toml`, sorted by slug.
    public var clients: [ClientSpec]

    /// Creates a fleet.
    public init(defaults: FleetDefaults, clients: [ClientSpec]) {
        self.defaults = defaults
        self.clients = clients.sorted { $0.slug < $1.slug }
    }

    /// Every client with the defaults applied, sorted by slug (disabled ones included).
    public var instances: [Instance] {
        clients.map { Instance(client: $0, defaults: defaults) }
    }
}
