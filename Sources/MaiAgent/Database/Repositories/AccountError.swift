/// Why an account change was refused. Each case maps to one clear answer at the HTTP edge.
public enum AccountError: Error, Sendable, Equatable {
    /// Another account already uses this e-mail.
    case emailTaken
    /// Sign-up is closed (after the first admin, or by the admin's setting).
    case signUpClosed
    /// The change would leave the instance without an active administrator.
    case lastAdmin
    /// No account with that id.
    case notFound
}
