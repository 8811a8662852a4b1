/// The admin API answered, but not with what was asked for.
public enum AdminAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401: the fleet token was refused.
    case unauthorized(host: String)
    /// Any other non-2xx answer, with the agent's `detail`.
    case http(host: String, status: Int, detail: String)
    /// A 2xx answer whose body is not the expected JSON, or a broken HTTP message.
    case invalidResponse(host: String, reason: String)

    public var description: String {
        switch self {
        case .unauthorized(let host):
            "the admin API on \(host) refused the fleet token (401). Check that the token in maictl's state directory "
                + "matches MAI_FLEET_TOKEN in the host's env file (maictl keys status)."
        case .http(let host, let status, let detail):
            "the admin API on \(host) answered \(status): \(detail)"
        case .invalidResponse(let host, let reason):
            "the admin API on \(host) sent an unreadable answer: \(reason). Is the agent's version compatible with this maictl?"
        }
    }
}
