import Hummingbird

/// Finds out who is calling: an access token (the `token` cookie or a bearer JWT) or an API key (`sk-…`).
struct Authenticator: Sendable {
    let tokens: TokenService
    let sessions: any SessionRepository
    let apiKeys: any APIKeyRepository
    let settings: SettingsReader
    let clock: AgentClock

    static let accessCookie = "token"
    static let refreshCookie = "refresh_token"

    /// The caller, `nil` when the request carries no credentials.
    /// - Throws: 401 `APIError` when it carries credentials that are not (or no longer) valid.
    func identify(_ request: Request) async throws -> Identity? {
        guard let credential = request.bearerToken ?? request.cookies[Self.accessCookie]?.value, !credential.isEmpty else {
            return nil
        }
        if credential.hasPrefix("sk-") {
            guard try await settings.current().enableAPIKey else {
                throw APIError(.forbidden, "API keys are switched off on this instance. Ask your administrator.")
            }
            guard let user = try await apiKeys.owner(keyHash: TokenService.sha256Hex(credential), now: clock.seconds) else {
                throw APIError(.unauthorized, "This API key is not valid. Create a new one in Settings → Account.", headers: [.wwwAuthenticate: "Bearer"])
            }
            return Identity(user: user, method: .apiKey)
        }
        guard let claims = await tokens.verifyAccessToken(credential),
              let user = try await sessions.liveSession(id: claims.sid, userID: claims.sub.value, now: clock.seconds)
        else {
            throw APIError.invalidToken
        }
        return Identity(user: user, method: .session(id: claims.sid))
    }
}
