import MaiCore

/// The agent's env file (`/srv/mai/env`, 0600, `--env-file`): the instance's settings and its
/// secrets. Per-container values (ports) are passed as `--env` by `EngineCommands.run`.
public struct AgentEnvironment: Sendable {
    public var values: [(String, String)]

    /// Everything the agent needs for `instance`; `openRouterKey` and `openRouterBaseURL` only when known.
    public init(instance: Instance, fleetToken: Secret, openRouterKey: Secret?, openRouterBaseURL: String? = nil) {
        var values: [(String, String)] = [
            ("ENV", "prod"),
            ("DATA_DIR", "/data"),
            ("WEBUI_NAME", instance.name),
            ("WEBUI_URL", "https://\(instance.domain)"),
            ("MARKUP_RATE", instance.markupRate.description),
            ("USAGE_SYNC_INTERVAL", String(instance.usageSyncIntervalSeconds)),
            ("MAI_FLEET_TOKEN", fleetToken.value),
            // Closed unless the client file opens it: otherwise whoever reaches a new domain
            // first (it is in Certificate Transparency logs at once) would become its admin.
            ("ENABLE_SIGNUP", instance.openSignup ? "true" : "false"),
        ]
        // Admin-set provider addresses on private networks are refused unless the client file allows them.
        if let allowance = instance.allowPrivateProviderURLs { values.append(("ALLOW_PRIVATE_PROVIDER_URLS", allowance)) }
        if let openRouterKey { values.append(("OPENROUTER_API_KEY", openRouterKey.value)) }
        if let openRouterBaseURL { values.append(("OPENROUTER_BASE_URL", openRouterBaseURL)) }
        self.values = values
    }

    /// `KEY=value` lines, as `--env-file` reads them (no quoting: the value is the rest of the line;
    /// newlines are not allowed in values and are dropped).
    public var fileText: String {
        values.map { "\($0.0)=\($0.1.replacingOccurrences(of: "\n", with: ""))" }.joined(separator: "\n") + "\n"
    }

    /// The keys, for printing (values hold secrets and are never printed).
    public var keys: [String] { values.map(\.0) }
}
