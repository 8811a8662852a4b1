/// Where to connect: the server id keys the pinned host key (Hetzner reuses IP addresses).
public struct SSHTarget: Sendable, Hashable, CustomStringConvertible {
    /// The provider's stable server id — the known_hosts key.
    public var serverID: String
    /// Address or name to connect to.
    public var host: String
    public var port: Int
    public var user: String

    public init(serverID: String, host: String, port: Int = 22, user: String = "root") {
        self.serverID = serverID
        self.host = host
        self.port = port
        self.user = user
    }

    /// `user@host:port (server <id>)`.
    public var description: String { "\(user)@\(host):\(port) (server \(serverID))" }
}
