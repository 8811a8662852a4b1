import MaiCore

/// One client's instance with the fleet defaults applied: everything a command needs to act on it.
public struct Instance: Sendable, Hashable, Codable {
    /// The client's slug; also the server's name and the state directory's key.
    public var slug: String
    /// Display name.
    public var name: String
    /// Public domain.
    public var domain: String
    /// First administrator.
    public var adminEmail: String
    /// Hetzner location.
    public var location: String
    /// Hetzner server type.
    public var serverType: String
    /// Hetzner image.
    public var image: String
    /// SSH key names for new servers.
    public var sshKeys: [String]
    /// Networks allowed to SSH in.
    public var firewallSSHSources: [String]
    /// Agent image name (no tag).
    public var agentImage: String
    /// Agent image tag.
    public var agentVersion: String
    /// The client file's own `agent_version` (a pin or a canary), if it has one.
    public var versionPin: String?
    /// Agent web port.
    public var agentPort: Int
    /// Billing factor over cost.
    public var markupRate: MarkupRate
    /// Usage pull interval, seconds.
    public var usageSyncIntervalSeconds: Int
    /// OpenRouter key limit, if any.
    public var openRouterKeyLimit: Money?
    /// Limit reset period, if any.
    public var openRouterLimitReset: ClientSpec.LimitReset?
    /// Branding directory relative to the fleet directory, if any.
    public var brandDirectory: String?
    /// Fixed host (test fleets); `nil` means a Hetzner server named after the slug.
    public var host: String?
    /// Public sign-up open on the agent (`ENABLE_SIGNUP`); false unless the client file asks.
    public var openSignup: Bool
    /// `ALLOW_PRIVATE_PROVIDER_URLS` for the agent, if the client file sets it.
    public var allowPrivateProviderURLs: String?
    /// Skipped by commands.
    public var disabled: Bool

    /// JSON keys follow the fleet files (`openrouter_key_limit`, `brand_dir`) under a snake_case encoder.
    enum CodingKeys: String, CodingKey {
        case slug, name, domain, adminEmail, location, serverType, image, sshKeys, firewallSSHSources
        case agentImage, agentVersion, versionPin, agentPort, markupRate, usageSyncIntervalSeconds
        case openRouterKeyLimit = "openrouterKeyLimit", openRouterLimitReset = "openrouterLimitReset"
        case brandDirectory = "brandDir", host, openSignup, allowPrivateProviderURLs, disabled
    }

    /// `image:version`.
    public var agentImageReference: String { "\(agentImage):\(agentVersion)" }

    /// Applies `client`'s overrides to `defaults`.
    public init(client: ClientSpec, defaults: FleetDefaults) {
        slug = client.slug
        name = client.name
        domain = client.domain
        adminEmail = client.adminEmail
        location = client.location ?? defaults.hetzner.location
        serverType = client.serverType ?? defaults.hetzner.serverType
        image = defaults.hetzner.image
        sshKeys = defaults.hetzner.sshKeys
        firewallSSHSources = defaults.hetzner.firewallSSHSources
        agentImage = defaults.agent.image
        agentVersion = client.agentVersion ?? defaults.agent.version
        versionPin = client.agentVersion
        agentPort = defaults.agent.port
        markupRate = defaults.agent.markupRate
        usageSyncIntervalSeconds = defaults.agent.usageSyncIntervalSeconds
        openRouterKeyLimit = client.openRouterKeyLimit
        openRouterLimitReset = client.openRouterLimitReset
        brandDirectory = client.brandDirectory
        host = client.host
        openSignup = client.openSignup
        allowPrivateProviderURLs = client.allowPrivateProviderURLs
        disabled = client.disabled
    }
}
