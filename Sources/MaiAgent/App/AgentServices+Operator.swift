import Foundation

/// Account operations for `mai-agent user …`, with the same rules as the web API.
extension AgentServices {
    /// Creates an account directly (no sign-up rules): the operator's rescue.
    public func createAccount(email: String, name: String, password: String, role: UserRole) async throws -> UserRecord {
        try await accounts.addUser(AddUserForm(name: name, email: email, password: password, role: role, profile_image_url: nil))
    }

    /// Sets a new password for the account with `email` and signs it out everywhere.
    public func resetPassword(email: String, password: String) async throws -> UserRecord {
        guard let user = try await users.find(email: try Credentials.normalisedEmail(email)) else {
            throw APIError(.notFound, "No account uses the e-mail '\(email)'.")
        }
        return try await accounts.resetPassword(userID: user.id, to: password)
    }

    /// The user-facing message of an error from these operations.
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as APIError: error.detail
        case let error as AccountError: ErrorMiddleware.apiError(for: error).detail
        default: "\(error)"
        }
    }
}
