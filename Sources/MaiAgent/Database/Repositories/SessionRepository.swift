/// Sign-in sessions and their rotating refresh tokens.
public protocol SessionRepository: Sendable {
    /// Starts a session with its first refresh token.
    func start(_ session: SessionRecord, firstToken: RefreshTokenRecord) async throws
    /// Spends `tokenHash` and stores `next` in its place, in one transaction.
    func rotate(tokenHash: String, next: @Sendable (SessionRecord) -> RefreshTokenRecord, now: Int64) async throws -> RefreshOutcome
    /// The session and its user when the session is live (not revoked, not expired, user active).
    func liveSession(id: String, userID: String, now: Int64) async throws -> UserRecord?
    /// The session `id`, whatever its state.
    func find(id: String) async throws -> SessionRecord?
    /// The session a refresh token belongs to, spent or not.
    func sessionID(forTokenHash hash: String) async throws -> String?
    /// Ends one session.
    func revoke(sessionID: String, reason: String, now: Int64) async throws
    /// Ends every session of `userID` except `keeping`.
    func revokeAll(userID: String, reason: String, now: Int64, keeping: String?) async throws
    /// Whether `userID` has ever signed in from `address` (any session, ended or not, still kept).
    func hasSignedIn(userID: String, from address: String) async throws -> Bool
}

/// What happened to a refresh token presented for rotation.
public enum RefreshOutcome: Sendable, Equatable {
    /// Spent; `token` replaces it in the same session.
    case rotated(session: SessionRecord, user: UserRecord, token: RefreshTokenRecord)
    /// It had been spent before: the whole session was revoked.
    case reused
    /// Unknown, expired, revoked session or inactive user.
    case invalid
}
