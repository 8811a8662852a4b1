import Foundation
import Logging

/// Sign-up, sign-in, token refresh, sign-out and password changes: the account rules, apart from HTTP.
public struct AccountService: Sendable {
    let users: any UserRepository
    let sessions: any SessionRepository
    let apiKeys: any APIKeyRepository
    let settings: SettingsReader
    let tokens: TokenService
    let hasher: PasswordHasher
    let throttle: SignInThrottle
    let clock: AgentClock
    let refreshLifetime: Int64

    /// A started or refreshed sign-in.
    struct SignedIn: Sendable {
        var user: UserRecord
        var sessionID: String
        var accessToken: String
        var expiresAt: Int64?
        var refreshToken: String
        var refreshExpiresAt: Int64
    }

    /// Where a sign-in comes from, kept with its session.
    struct Origin: Sendable {
        var address: String
        var userAgent: String
    }

    func signUp(_ form: SignUpForm, origin: Origin) async throws -> SignedIn {
        let email = try Credentials.normalisedEmail(form.email)
        let name = try Credentials.name(form.name)
        try Credentials.validateNewPassword(form.password)
        let image = try Credentials.profileImageURL(form.profile_image_url)
        // Cheap refusal first: a closed sign-up should not cost a bcrypt hash.
        if try await !settings.current().enableSignup { throw AccountError.signUpClosed }
        let hash = try await hasher.hash(form.password)
        let draft = UserRecord(id: UUID().uuidString.lowercased(), email: email, name: name, role: .pending,
                               passwordHash: hash, profileImageURL: image, now: clock.seconds)
        let user = try await users.signUp(draft, defaults: settings.signUpDefaults)
        return try await startSession(for: user, origin: origin)
    }

    func signIn(_ form: SignInForm, origin: Origin) async throws -> SignedIn {
        let email = form.email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let now = clock.seconds
        let user = try await users.find(email: email)
        // Addresses the account signed in from before are in its sessions (kept across restarts):
        // from them, a lock someone else caused on the e-mail does not apply.
        var known = false
        if let user { known = try await sessions.hasSignedIn(userID: user.id, from: origin.address) }
        // Counted before the bcrypt check, so attempts running at the same time see each other.
        if let wait = throttle.admit(email: email, address: origin.address, knownAddress: known, now: now) {
            throw APIError(
                .tooManyRequests,
                "Too many failed sign-ins. Try again in \(Self.describe(seconds: wait)).",
                headers: [.retryAfter: String(wait)]
            )
        }
        let matches: Bool
        do {
            if let user {
                matches = try await hasher.verify(form.password, against: user.passwordHash)
            } else {
                try await hasher.verifyNothing(form.password)
                matches = false
            }
        } catch {
            // Not checked (the server was too busy): not a failure of this person's.
            throttle.cancel(email: email, address: origin.address)
            throw error
        }
        guard let user, matches else { throw Self.wrongCredentials }
        guard user.isActive else {
            throw APIError(.forbidden, "This account has been deactivated. Ask your administrator to re-activate it.")
        }
        throttle.recordSuccess(email: email, address: origin.address)
        try? await users.touch(id: user.id, now: now)
        return try await startSession(for: user, origin: origin)
    }

    func startSession(for user: UserRecord, origin: Origin) async throws -> SignedIn {
        let now = clock.seconds
        let sessionID = UUID().uuidString.lowercased()
        let refresh = TokenService.newRefreshToken()
        let expiresAt = now + refreshLifetime
        let session = SessionRecord(id: sessionID, userID: user.id, createdAt: now, expiresAt: expiresAt,
                                    clientAddress: origin.address, userAgent: String(origin.userAgent.prefix(256)))
        try await sessions.start(session, firstToken: RefreshTokenRecord(tokenHash: refresh.hash, sessionID: sessionID, createdAt: now, expiresAt: expiresAt))
        let access = try await tokens.accessToken(userID: user.id, sessionID: sessionID, lifetime: try await settings.current().jwtExpiresIn)
        return SignedIn(user: user, sessionID: sessionID, accessToken: access.token, expiresAt: access.expiresAt,
                        refreshToken: refresh.token, refreshExpiresAt: expiresAt)
    }

    /// Spends a refresh token for a new pair. A token presented twice ends its whole session.
    func refresh(_ token: String) async throws -> SignedIn {
        let now = clock.seconds
        let refresh = TokenService.newRefreshToken()
        let lifetime = refreshLifetime
        let outcome = try await sessions.rotate(tokenHash: TokenService.sha256Hex(token), next: { session in
            RefreshTokenRecord(tokenHash: refresh.hash, sessionID: session.id, createdAt: now,
                               expiresAt: min(session.expiresAt, now + lifetime))
        }, now: now)
        switch outcome {
        case .invalid:
            throw APIError(.unauthorized, "This refresh token is not valid any more. Sign in again.")
        case .reused:
            throw APIError(
                .unauthorized,
                "This sign-in was ended because its refresh token was used twice, which happens when a copy leaks. Sign in again."
            )
        case .rotated(let session, let user, let next):
            let access = try await tokens.accessToken(userID: user.id, sessionID: session.id, lifetime: try await settings.current().jwtExpiresIn)
            return SignedIn(user: user, sessionID: session.id, accessToken: access.token, expiresAt: access.expiresAt,
                            refreshToken: refresh.token, refreshExpiresAt: next.expiresAt)
        }
    }

    /// Ends the session behind the access token and the one behind the refresh token, if any.
    func signOut(sessionID: String?, refreshToken: String?) async throws {
        let now = clock.seconds
        if let sessionID { try await sessions.revoke(sessionID: sessionID, reason: "signed out", now: now) }
        if let refreshToken, let session = try await sessions.sessionID(forTokenHash: TokenService.sha256Hex(refreshToken)) {
            try await sessions.revoke(sessionID: session, reason: "signed out", now: now)
        }
    }

    /// Changes the caller's password after checking the current one; ends every other session and
    /// revokes the account's API key (whoever learnt the old password may have made one). Returns
    /// whether there was a key to revoke, so the owner can be told.
    @discardableResult
    func changePassword(of identity: Identity, current: String, new: String) async throws -> Bool {
        try Credentials.validateNewPassword(new)
        guard try await hasher.verify(current, against: identity.user.passwordHash) else {
            throw APIError(.badRequest, "The current password is not correct.")
        }
        let hash = try await hasher.hash(new)
        _ = try await users.update(id: identity.user.id, now: clock.seconds) { $0.passwordHash = hash }
        try await sessions.revokeAll(userID: identity.user.id, reason: "password changed", now: clock.seconds, keeping: identity.sessionID)
        let revoked = try await apiKeys.delete(userID: identity.user.id)
        throttle.forget(email: identity.user.email)
        return revoked
    }

    /// Sets a password as an administrator or operator: ends every session of the account and
    /// revokes its API key.
    func resetPassword(userID: String, to password: String) async throws -> UserRecord {
        try Credentials.validateNewPassword(password)
        let hash = try await hasher.hash(password)
        let user = try await users.update(id: userID, now: clock.seconds) { $0.passwordHash = hash }
        try await sessions.revokeAll(userID: userID, reason: "password reset", now: clock.seconds, keeping: nil)
        _ = try await apiKeys.delete(userID: userID)
        throttle.forget(email: user.email)
        return user
    }

    /// Creates an account on someone's behalf (admin's "add user", operator's CLI).
    func addUser(_ form: AddUserForm) async throws -> UserRecord {
        let email = try Credentials.normalisedEmail(form.email)
        let name = try Credentials.name(form.name)
        try Credentials.validateNewPassword(form.password)
        let image = try Credentials.profileImageURL(form.profile_image_url)
        let hash = try await hasher.hash(form.password)
        let user = UserRecord(id: UUID().uuidString.lowercased(), email: email, name: name, role: form.role ?? .user,
                              passwordHash: hash, profileImageURL: image, now: clock.seconds)
        return try await users.create(user)
    }

    static let wrongCredentials = APIError(.badRequest, "The e-mail or password is incorrect. Check them and try again.")

    static func describe(seconds: Int64) -> String {
        seconds < 90 ? "\(seconds) seconds" : "\((seconds + 59) / 60) minutes"
    }
}
