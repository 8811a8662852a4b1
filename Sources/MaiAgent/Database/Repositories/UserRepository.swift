/// The accounts of this instance.
public protocol UserRepository: Sendable {
    /// Creates an account through the sign-up form in one transaction: the first account becomes
    /// `admin` and closes sign-up; later ones need sign-up to be open and get the default role.
    /// `user.role` is ignored. - Throws: `AccountError.signUpClosed`, `.emailTaken`.
    func signUp(_ user: UserRecord, defaults: SignUpDefaults) async throws -> UserRecord
    /// Creates an account as given (admin's "add user", the operator's CLI). - Throws: `.emailTaken`.
    func create(_ user: UserRecord) async throws -> UserRecord
    func find(id: String) async throws -> UserRecord?
    func find(email: String) async throws -> UserRecord?
    /// A page of accounts, oldest first, and the total count.
    func list(offset: Int, limit: Int) async throws -> (users: [UserRecord], total: Int)
    func count() async throws -> Int
    /// Applies `change` to the account; refuses to leave no active admin. - Throws: `.notFound`, `.lastAdmin`, `.emailTaken`.
    func update(id: String, now: Int64, _ change: @Sendable (inout UserRecord) -> Void) async throws -> UserRecord
    /// Deletes the account and everything it owns. - Throws: `.notFound`, `.lastAdmin`.
    func delete(id: String) async throws
    /// Records activity, at most once a minute per account.
    func touch(id: String, now: Int64) async throws
}

/// What sign-up falls back to when an admin has not stored a setting.
public struct SignUpDefaults: Sendable {
    public var enableSignup: Bool
    public var defaultRole: UserRole

    public init(enableSignup: Bool, defaultRole: UserRole) {
        self.enableSignup = enableSignup
        self.defaultRole = defaultRole
    }
}
