import Hummingbird

/// `POST /api/v1/auths/signup`.
struct SignUpForm: Decodable {
    var name: String
    var email: String
    var password: String
    var profile_image_url: String?
}

/// `POST /api/v1/auths/signin`.
struct SignInForm: Decodable {
    var email: String
    var password: String
}

/// `POST /api/v1/auths/add`.
struct AddUserForm: Decodable {
    var name: String
    var email: String
    var password: String
    var role: UserRole?
    var profile_image_url: String?
}

/// `POST /api/v1/auths/refresh`; the token may come from the cookie instead.
struct RefreshForm: Decodable {
    var refresh_token: String?
}

/// `POST /api/v1/auths/update/password`.
struct PasswordChangeForm: Decodable {
    var password: String
    var new_password: String
}

/// `POST /api/v1/auths/update/profile`.
struct ProfileForm: Decodable {
    var name: String
    var profile_image_url: String?
}

/// An account as the API shows it (Open WebUI's `UserModel`, plus `is_active`).
struct UserResponse: ResponseCodable {
    var id: String
    var email: String
    var name: String
    var role: UserRole
    var profile_image_url: String
    var is_active: Bool
    var last_active_at: Int64
    var updated_at: Int64
    var created_at: Int64

    init(_ user: UserRecord) {
        id = user.id
        email = user.email
        name = user.name
        role = user.role
        profile_image_url = user.profile_image_url_or_default
        is_active = user.isActive
        last_active_at = user.lastActiveAt
        updated_at = user.updatedAt
        created_at = user.createdAt
    }
}

/// Sign-in, sign-up, refresh and "who am I" answer (Open WebUI's `SessionUserResponse`).
struct SessionUserResponse: ResponseCodable {
    var token: String?
    var token_type: String
    var expires_at: Int64?
    var refresh_token: String?
    var id: String
    var email: String
    var name: String
    var role: UserRole
    var profile_image_url: String
    var permissions: [String: [String: Bool]]

    init(user: UserRecord, token: String?, expiresAt: Int64?, refreshToken: String?) {
        self.token = token
        self.token_type = "Bearer"
        self.expires_at = expiresAt
        self.refresh_token = refreshToken
        id = user.id
        email = user.email
        name = user.name
        role = user.role
        profile_image_url = user.profile_image_url_or_default
        permissions = Self.permissions(for: user.role)
    }

    enum CodingKeys: String, CodingKey {
        case token, token_type, expires_at, refresh_token, id, email, name, role, profile_image_url, permissions
    }

    /// Absent values are written as `null`, as Open WebUI's clients expect.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
        try container.encode(token_type, forKey: .token_type)
        try container.encode(expires_at, forKey: .expires_at)
        try container.encode(refresh_token, forKey: .refresh_token)
        try container.encode(id, forKey: .id)
        try container.encode(email, forKey: .email)
        try container.encode(name, forKey: .name)
        try container.encode(role, forKey: .role)
        try container.encode(profile_image_url, forKey: .profile_image_url)
        try container.encode(permissions, forKey: .permissions)
    }

    static func permissions(for role: UserRole) -> [String: [String: Bool]] {
        let approved = role != .pending
        return [
            "chat": ["use": approved],
            "workspace": ["knowledge": approved],
            "admin": ["users": role == .admin, "settings": role == .admin],
        ]
    }
}

/// `{"status": true}`.
struct StatusResponse: ResponseCodable {
    var status: Bool = true
}

/// `POST /api/v1/auths/update/password`: `api_key_revoked` tells the owner their API key is gone
/// (a new one can be made in Settings).
struct PasswordChangedResponse: ResponseCodable {
    var status: Bool = true
    var api_key_revoked: Bool
}

extension UserRecord {
    var profile_image_url_or_default: String { profileImageURL.isEmpty ? "/static/user.svg" : profileImageURL }
}
