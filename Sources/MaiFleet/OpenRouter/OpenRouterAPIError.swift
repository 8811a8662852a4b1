import Foundation

/// What went wrong talking to OpenRouter's management API. Never carries a key.
public enum OpenRouterAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `OPENROUTER_MANAGEMENT_KEY` is not set.
    case noManagementKey
    /// No answer (connection refused, timeout, DNS).
    case unreachable(url: String, reason: String)
    /// OpenRouter answered with an error (`{"error": {"code", "message"}}`).
    case http(status: Int, message: String)
    /// A 2xx answer that is not the documented shape.
    case invalidResponse(String)
    /// The base URL or a parameter is unusable.
    case invalidRequest(String)

    /// The HTTP status, when OpenRouter answered.
    public var status: Int? {
        if case .http(let status, _) = self { return status }
        return nil
    }

    public var description: String {
        switch self {
        case .noManagementKey:
            "OPENROUTER_MANAGEMENT_KEY is not set: export the OpenRouter management (provisioning) key and try again"
        case .unreachable(let url, let reason):
            "OpenRouter did not answer at \(url) (\(reason)); check the network or OPENROUTER_BASE_URL and try again"
        case .http(let status, let message):
            switch status {
            case 401: "OpenRouter refused the management key (401: \(message)); check OPENROUTER_MANAGEMENT_KEY"
            case 403: "OpenRouter refused the call (403: \(message)); OPENROUTER_MANAGEMENT_KEY must be a management key"
            case 429: "OpenRouter is rate-limiting (429: \(message)); wait a minute and try again"
            default: "OpenRouter answered \(status): \(message)"
            }
        case .invalidResponse(let reason):
            "OpenRouter sent an answer maictl cannot read (\(reason))"
        case .invalidRequest(let reason):
            reason
        }
    }
}
