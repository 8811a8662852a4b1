/// Settings an admin can change at run time (Open WebUI's names). Stored values win over the environment.
public enum SettingKey: String, Sendable, CaseIterable {
    case enableSignup = "ENABLE_SIGNUP"
    case defaultUserRole = "DEFAULT_USER_ROLE"
    case jwtExpiresIn = "JWT_EXPIRES_IN"
    case enableAPIKey = "ENABLE_API_KEY"
}

/// Where an effective setting came from, shown to the admin.
public enum SettingSource: String, Sendable, Codable {
    case database
    case environment
    case builtIn = "default"
}
