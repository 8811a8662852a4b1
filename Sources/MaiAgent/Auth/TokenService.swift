import Crypto
import Foundation
import JWTKit
import MaiCore

/// Issues and checks access tokens (JWT, HS256) and refresh tokens (random, stored hashed).
public struct TokenService: Sendable {
    let keys: JWTKeyCollection
    let clock: AgentClock

    /// Derives the signing key from `secret`; each distinct secret signs distinct tokens.
    public init(secret: Secret, clock: AgentClock) async {
        // HMAC keys must be at least 32 bytes; hash the secret so any length ≥ 32 characters gives one.
        let key = Data(SHA256.hash(data: Data("mai-access-token:\(secret.value)".utf8)))
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: key), digestAlgorithm: .sha256)
        self.keys = keys
        self.clock = clock
    }

    /// A signed access token for `userID` in `sessionID`, and when it expires.
    func accessToken(userID: String, sessionID: String, lifetime: TokenLifetime) async throws -> (token: String, expiresAt: Int64?) {
        let now = clock.seconds
        let expiresAt = lifetime.seconds.map { now + $0 }
        let claims = AccessClaims(
            sub: .init(value: userID),
            sid: sessionID,
            iat: .init(value: Date(timeIntervalSince1970: TimeInterval(now))),
            exp: expiresAt.map { .init(value: Date(timeIntervalSince1970: TimeInterval($0))) },
            jti: .init(value: UUID().uuidString)
        )
        return (try await keys.sign(claims), expiresAt)
    }

    /// The claims of a valid, unexpired access token; `nil` for anything else.
    func verifyAccessToken(_ token: String) async -> AccessClaims? {
        guard let claims = try? await keys.verify(token, as: AccessClaims.self) else { return nil }
        if let exp = claims.exp, exp.value.timeIntervalSince1970 <= TimeInterval(clock.seconds) { return nil }
        return claims
    }

    /// A new opaque refresh token (`rt_` + 32 random bytes, base64url) and its stored hash.
    static func newRefreshToken() -> (token: String, hash: String) {
        let token = "rt_" + randomURLSafe(bytes: 32)
        return (token, sha256Hex(token))
    }

    /// A new API key (`sk-` + 48 hex characters) and its stored hash.
    static func newAPIKey() -> (key: String, hash: String) {
        let key = "sk-" + randomHex(bytes: 24)
        return (key, sha256Hex(key))
    }

    static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func randomURLSafe(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
