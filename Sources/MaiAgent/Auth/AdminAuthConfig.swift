import Hummingbird

/// `GET /api/v1/auths/admin/config`: the sign-up and token settings in force and where each came from.
struct AdminAuthConfig: ResponseCodable {
    var ENABLE_SIGNUP: Bool
    var DEFAULT_USER_ROLE: UserRole
    var JWT_EXPIRES_IN: String
    var ENABLE_API_KEY: Bool
    var sources: [String: SettingSource]

    init(_ settings: RuntimeSettings) {
        ENABLE_SIGNUP = settings.enableSignup
        DEFAULT_USER_ROLE = settings.defaultUserRole
        JWT_EXPIRES_IN = settings.jwtExpiresIn.text
        ENABLE_API_KEY = settings.enableAPIKey
        sources = settings.sources
    }
}

/// `POST /api/v1/auths/admin/config`: any subset of the settings.
struct AdminAuthConfigForm: Decodable {
    var ENABLE_SIGNUP: Bool?
    var DEFAULT_USER_ROLE: String?
    var JWT_EXPIRES_IN: String?
    var ENABLE_API_KEY: Bool?

    /// The values to store, validated.
    func storedValues() throws -> [String: String] {
        var values: [String: String] = [:]
        if let enable = ENABLE_SIGNUP { values[SettingKey.enableSignup.rawValue] = String(enable) }
        if let enable = ENABLE_API_KEY { values[SettingKey.enableAPIKey.rawValue] = String(enable) }
        if let role = DEFAULT_USER_ROLE {
            guard let parsed = UserRole(rawValue: role), parsed != .admin else {
                throw APIError(.badRequest, "DEFAULT_USER_ROLE must be pending or user; promote administrators one by one.")
            }
            values[SettingKey.defaultUserRole.rawValue] = parsed.rawValue
        }
        if let lifetime = JWT_EXPIRES_IN {
            guard let parsed = TokenLifetime(parsing: lifetime) else {
                throw APIError(.badRequest, "JWT_EXPIRES_IN must be a duration such as 15m, 1h or 7d, or -1 for no expiry.")
            }
            values[SettingKey.jwtExpiresIn.rawValue] = parsed.text
        }
        guard !values.isEmpty else {
            throw APIError(.badRequest, "Nothing to change: send ENABLE_SIGNUP, DEFAULT_USER_ROLE, JWT_EXPIRES_IN or ENABLE_API_KEY.")
        }
        return values
    }
}

/// An API key as the owner sees it: the secret only once, right after creation.
struct APIKeyResponse: ResponseCodable {
    var api_key: String?
    var prefix: String
    var created_at: Int64
    var last_used_at: Int64?

    enum CodingKeys: String, CodingKey {
        case api_key, prefix, created_at, last_used_at
    }

    /// Writes `api_key` and `last_used_at` as `null` rather than leaving them out.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(api_key, forKey: .api_key)
        try container.encode(prefix, forKey: .prefix)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(last_used_at, forKey: .last_used_at)
    }

    init(_ record: APIKeyRecord, secret: String?) {
        api_key = secret
        prefix = record.displayPrefix
        created_at = record.createdAt
        last_used_at = record.lastUsedAt
    }
}
