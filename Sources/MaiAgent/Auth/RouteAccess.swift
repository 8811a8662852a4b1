/// Who may call a route. Every route is registered with one, and the role matrix test reads them.
public enum RouteAccess: String, Sendable, CaseIterable {
    /// Anyone, signed in or not.
    case open
    /// Any signed-in account, including one waiting for approval.
    case signedIn
    /// Approved accounts: `user` and `admin`.
    case user
    /// Administrators only.
    case admin

    /// The lowest role admitted, `nil` for open routes.
    var minimumRole: UserRole? {
        switch self {
        case .open: nil
        case .signedIn: .pending
        case .user: .user
        case .admin: .admin
        }
    }
}
