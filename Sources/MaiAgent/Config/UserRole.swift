/// An account's role: `admin` manages the instance, `user` chats, `pending` waits for approval.
public enum UserRole: String, Sendable, Codable, CaseIterable, Comparable {
    case pending
    case user
    case admin

    private var rank: Int {
        switch self {
        case .pending: 0
        case .user: 1
        case .admin: 2
        }
    }

    /// Orders roles by what they may do: `pending < user < admin`.
    public static func < (lhs: UserRole, rhs: UserRole) -> Bool { lhs.rank < rhs.rank }
}
