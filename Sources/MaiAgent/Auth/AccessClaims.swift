import JWTKit

/// The claims of an access token: the user, the sign-in session it belongs to, and its lifetime.
struct AccessClaims: JWTPayload {
    /// User id.
    var sub: SubjectClaim
    /// Session (refresh-token family) id: revoking the session kills the token at once.
    var sid: String
    var iat: IssuedAtClaim
    /// Absent when `JWT_EXPIRES_IN` is `-1`.
    var exp: ExpirationClaim?
    var jti: IDClaim

    /// Expiry is checked by `TokenService` against the injected clock.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
