/// Reads the settings in force (stored over environment over defaults) and stores admin changes.
public struct SettingsReader: Sendable {
    let repository: any SettingsRepository
    let config: AgentConfig
    let environment: [String: String]

    public init(repository: any SettingsRepository, config: AgentConfig, environment: [String: String]) {
        self.repository = repository
        self.config = config
        self.environment = environment
    }

    /// The settings in force now.
    public func current() async throws -> RuntimeSettings {
        RuntimeSettings(stored: try await repository.storedValues(), config: config, environment: environment)
    }

    /// What sign-up falls back to when nothing is stored.
    var signUpDefaults: SignUpDefaults {
        SignUpDefaults(enableSignup: config.enableSignup, defaultRole: config.defaultUserRole)
    }
}
