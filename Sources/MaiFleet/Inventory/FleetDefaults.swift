import MaiCore

/// `fleet.toml`: what every instance gets unless its client file overrides it.
public struct FleetDefaults: Sendable, Hashable, Codable {
    /// `[hetzner]`: where and on what servers run.
    public struct Hetzner: Sendable, Hashable, Codable {
        /// `location`, default `nbg1`.
        public var location: String = "nbg1"
        /// `server_type`, default `cx23`.
        public var serverType: String = "cx23"
        /// `image`, default `debian-12`.
        public var image: String = "debian-12"
        /// `ssh_keys`: names of SSH keys in the Hetzner project (at least one).
        public var sshKeys: [String] = []
        /// `firewall_ssh_sources`: networks allowed to reach port 22; default everywhere.
        public var firewallSSHSources: [String] = ["0.0.0.0/0", "::/0"]

        /// Creates the defaults.
        public init() {}
    }

    /// `[agent]`: the container every instance runs.
    public struct Agent: Sendable, Hashable, Codable {
        /// `image`: image name without tag, default `mai-agent`.
        public var image: String = "mai-agent"
        /// `version`: the image tag to deploy (required).
        public var version: String = ""
        /// `port`: the agent's web port behind Caddy, default 8080.
        public var port: Int = 8080
        /// `markup_rate`: billing factor over OpenRouter cost, default 1.3.
        public var markupRate: MarkupRate = .standard
        /// `usage_sync_interval`: how often usage is pulled, in seconds (written `"15m"`), default 15 min.
        public var usageSyncIntervalSeconds: Int = 900

        /// Creates the defaults.
        public init() {}
    }

    /// `[deploy]`: how a rollout proceeds.
    public struct Deploy: Sendable, Hashable, Codable {
        /// `parallel`: instances worked on at once (1–64), default 8.
        public var parallel: Int = 8
        /// `batch`: instances per rollout step after the canary; default: `parallel`.
        public var batch: Int?
        /// `max_failures`: failed instances after which a rollout stops, default 1.
        public var maxFailures: Int = 1

        /// Creates the defaults.
        public init() {}

        /// The batch size in effect.
        public var effectiveBatch: Int { batch ?? parallel }
    }

    /// `[hetzner]`.
    public var hetzner = Hetzner()
    /// `[backup]`: what `maictl backup` keeps.
    public struct Backup: Sendable, Hashable, Codable {
        /// `keep`: backups kept per client (newest first), 1–1000, default 7.
        public var keep: Int = 7

        /// Creates the defaults.
        public init() {}
    }

    /// `[agent]`.
    public var agent = Agent()
    /// `[backup]`.
    public var backup = Backup()
    /// `[deploy]`.
    public var deploy = Deploy()
    /// `[health]`: thresholds of `maictl health`.
    public var health = HealthThresholds()
    /// `[operator] email`: receives certificate-authority notices and reports (normalised).
    public var operatorEmail: String = ""

    /// Creates the defaults.
    public init() {}
}
