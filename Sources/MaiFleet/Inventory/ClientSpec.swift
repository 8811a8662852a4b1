import MaiCore

/// `clients/<slug>.toml`: one client, as written (overrides not yet applied).
public struct ClientSpec: Sendable, Hashable, Codable {
    /// When OpenRouter resets a key's spending limit.
    public enum LimitReset: String, Sendable, Hashable, Codable, CaseIterable {
        case daily, weekly, monthly
    }

    /// From the file name; `^[a-z][a-z0-9-]{1,30}[a-z0-9]$`.
    public var slug: String
    /// `name`: the client's display name.
    public var name: String
    /// `domain`: where the client's users reach the workspace (lower-cased, unique in the fleet).
    public var domain: String
    /// `admin_email`: the first administrator (trimmed, lower-cased).
    public var adminEmail: String
    /// `openrouter_key_limit`: USD spending limit of the client's OpenRouter key; `nil` = none.
    public var openRouterKeyLimit: Money?
    /// `openrouter_limit_reset`: when the limit resets; `nil` = never.
    public var openRouterLimitReset: LimitReset?
    /// `brand_dir`: branding files, relative to the fleet directory.
    public var brandDirectory: String?
    /// `server_type` override.
    public var serverType: String?
    /// `location` override.
    public var location: String?
    /// `agent_version` override (pin or canary one client).
    public var agentVersion: String?
    /// `host`: an existing machine (IP literal or hostname) instead of a Hetzner server; test fleets.
    public var host: String?
    /// `open_signup`: anyone who reaches the domain may sign up (as a pending account the admin
    /// approves). Default false: the operator creates the first admin, who adds the employees.
    public var openSignup: Bool = false
    /// `allow_private_provider_urls`: private addresses an admin may point a connection at (e.g.
    /// an Ollama on the client's network); passed to the agent as `ALLOW_PRIVATE_PROVIDER_URLS`.
    public var allowPrivateProviderURLs: String?
    /// `disabled`: kept in the fleet, skipped by every command.
    public var disabled: Bool = false

    /// Creates a client.
    public init(slug: String, name: String, domain: String, adminEmail: String) {
        self.slug = slug
        self.name = name
        self.domain = domain
        self.adminEmail = adminEmail
    }
}
