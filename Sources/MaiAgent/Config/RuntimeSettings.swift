import Foundation

/// The settings in force: the admin's stored values over the environment over built-in defaults.
public struct RuntimeSettings: Sendable, Equatable {
    public var enableSignup: Bool
    public var defaultUserRole: UserRole
    public var jwtExpiresIn: TokenLifetime
    public var enableAPIKey: Bool
    /// Where each value came from, by `SettingKey` raw value.
    public var sources: [String: SettingSource]

    /// Resolves the settings from what is stored and what the environment said.
    public init(stored: [String: String], config: AgentConfig, environment: [String: String]) {
        var sources: [String: SettingSource] = [:]
        func source(_ key: SettingKey) -> SettingSource {
            if stored[key.rawValue] != nil { return .database }
            return environment[key.rawValue]?.isEmpty == false ? .environment : .builtIn
        }
        for key in SettingKey.allCases { sources[key.rawValue] = source(key) }
        self.sources = sources
        self.enableSignup = stored[SettingKey.enableSignup.rawValue].flatMap(Bool.init) ?? config.enableSignup
        self.defaultUserRole = stored[SettingKey.defaultUserRole.rawValue].flatMap(UserRole.init(rawValue:)) ?? config.defaultUserRole
        self.jwtExpiresIn = stored[SettingKey.jwtExpiresIn.rawValue].flatMap(TokenLifetime.init(parsing:)) ?? config.jwtExpiresIn
        self.enableAPIKey = stored[SettingKey.enableAPIKey.rawValue].flatMap(Bool.init) ?? true
    }
}
