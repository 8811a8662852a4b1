/// Where things live on a client's host, the contract between deploy, provisioning, backup and
/// health (DESIGN.md, "Host layout").
///
/// ```
/// /srv/mai/                 0700 root
///   data/                   bind-mounted as /data, owned by uid 10001 (the image's `mai` user)
///   data/backups/           pre-deploy backups (pre-deploy-<version>-<ts>.db; the newest 5 kept)
///   env                     0600, the agent's secrets (--env-file)
///   audit.log               one JSON object a line, every mutating step
///   deploy.lock/info        the remote deploy lock (mkdir is the atomic step)
/// /etc/caddy/mai-agent.caddy   written by deploy: which container ports Caddy proxies to
///                               (outside /srv/mai so the caddy user can read it at boot)
/// ```
public struct HostLayout: Sendable, Hashable {
    public var root = "/srv/mai"
    public var dataDirectory: String { root + "/data" }
    public var backupDirectory: String { dataDirectory + "/backups" }
    /// The backup directory as the container sees it.
    public var containerBackupDirectory: String { "/data/backups" }
    public var envFile: String { root + "/env" }
    public var auditLog: String { root + "/audit.log" }
    public var lockDirectory: String { root + "/deploy.lock" }
    public var lockInfo: String { lockDirectory + "/info" }
    /// The Caddy snippet naming the serving slot's ports.
    public var caddySnippet = "/etc/caddy/mai-agent.caddy"
    /// The web server's main config, reloaded after the snippet changes.
    public var caddyConfig = "/etc/caddy/Caddyfile"
    /// The uid the image runs as.
    public var agentUID = 10001

    public init() {}

    /// The serving container. `maictl`, health and backup rely on this name.
    public static let servingContainer = "mai-agent"
    /// A new version while it starts and is checked.
    public static let candidateContainer = "mai-agent-next"
    /// The previous version between the switch and its stop.
    public static let retiredContainer = "mai-agent-prev"
    /// The admin API on the host's loopback (Caddy forwards it to the serving container).
    public static let adminPort = 8081
}

/// One of two port pairs the agent's containers alternate between, so a new version can start
/// beside the serving one; Caddy forwards the public site and 127.0.0.1:8081 to the serving slot.
public enum Slot: String, Sendable, Hashable, CaseIterable, Codable {
    case a, b

    /// The agent's web port (loopback only, behind Caddy).
    public var publicPort: Int { self == .a ? 18080 : 18081 }
    /// The agent's admin port (loopback only, behind Caddy's 127.0.0.1:8081).
    public var adminPort: Int { self == .a ? 18180 : 18181 }
    /// The other slot.
    public var other: Slot { self == .a ? .b : .a }
}
