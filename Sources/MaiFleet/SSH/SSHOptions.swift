/// Timeouts and policy for SSH sessions.
public struct SSHOptions: Sendable {
    /// TCP connect + handshake + authentication deadline.
    public var connectTimeout: Duration
    /// Default deadline for one command (`exec`), unless the call gives its own.
    public var commandTimeout: Duration
    /// How often an idle or waiting session sends an SSH_MSG_IGNORE so NATs and firewalls keep
    /// the connection; nil turns keepalives off.
    public var keepaliveInterval: Duration?
    /// What to do with a host key that is not pinned.
    public var hostKeyPolicy: HostKeyPolicy
    /// Also enforce command timeouts on the host (`timeout` from coreutils), so a command that
    /// outlives its deadline is stopped there too; turn off only for hosts without coreutils.
    public var enforceTimeoutOnHost: Bool

    public init(connectTimeout: Duration = .seconds(10), commandTimeout: Duration = .seconds(300),
                keepaliveInterval: Duration? = .seconds(15), hostKeyPolicy: HostKeyPolicy = .strict,
                enforceTimeoutOnHost: Bool = true) {
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.keepaliveInterval = keepaliveInterval
        self.hostKeyPolicy = hostKeyPolicy
        self.enforceTimeoutOnHost = enforceTimeoutOnHost
    }
}

extension Duration {
    /// Seconds as a Double (for messages and libssh's millisecond arguments).
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
