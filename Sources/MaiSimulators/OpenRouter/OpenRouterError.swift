import HTTPTypes
import Hummingbird

/// An error answered in OpenRouter's shape `{"error": {"code", "message"}}`.
public struct OpenRouterError: Error, HTTPResponseError, Sendable {
    public let code: Int
    public let message: String
    public var headers: HTTPFields
    public var metadata: JSONValue?

    public init(_ code: Int, _ message: String, headers: HTTPFields = [:], metadata: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.headers = headers
        self.metadata = metadata
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: code) }

    /// The `error` object.
    var errorObject: JSONValue {
        var members: [(String, JSONValue)] = [("code", .int(code)), ("message", .string(message))]
        if let metadata { members.append(("metadata", metadata)) }
        return .object(members)
    }

    public func response(from request: Request, context: some RequestContext) -> Response {
        SimulatorResponses.json(.object([("error", errorObject)]), status: status, headers: headers)
    }

    static let noCredentials = OpenRouterError(401, "No auth credentials found")
    static let disabledKey = OpenRouterError(401, "This API key is disabled. Enable it with PATCH /keys/{hash} or use another key.")
    static let managementOnly = OpenRouterError(403, "Only management keys can perform this operation")
    static let generationNotFound = OpenRouterError(404, "Generation not found")

    /// The error a `[[sim:error=N]]` directive or key behaviour produces.
    static func simulated(_ code: Int, retryAfterSeconds: Int, now: Int64, model: SimulatedModel?) -> OpenRouterError {
        switch code {
        case 400: return OpenRouterError(400, "Invalid request parameters")
        case 401: return OpenRouterError(401, "User not found.")
        case 402:
            return OpenRouterError(402, "Insufficient credits. Add more using https://openrouter.ai/credits")
        case 403: return OpenRouterError(403, "Key limit exceeded. Raise the key's limit or wait for it to reset.")
        case 408: return OpenRouterError(408, "Operation timed out. Please try again later.")
        case 429:
            let reset = (now + Int64(retryAfterSeconds)) * 1000
            return OpenRouterError(
                429, "Rate limit exceeded: simulated. Retry after \(retryAfterSeconds) s.",
                headers: [
                    .retryAfter: String(retryAfterSeconds),
                    HTTPField.Name("X-RateLimit-Limit")!: "20",
                    HTTPField.Name("X-RateLimit-Remaining")!: "0",
                    HTTPField.Name("X-RateLimit-Reset")!: String(reset),
                ],
                metadata: .object([("error_type", .string("rate_limit_exceeded"))]))
        case 500: return OpenRouterError(500, "Internal Server Error")
        case 502:
            return OpenRouterError(
                502, "Provider returned error",
                metadata: .object([("provider_name", .string(model?.providerName)), ("raw", .string("upstream failure (simulated)"))]))
        case 503: return OpenRouterError(503, "No instances available to serve this request (simulated)")
        case 524: return OpenRouterError(524, "Request timed out. Please try again later.")
        case 529: return OpenRouterError(529, "Provider returned error")
        default: return OpenRouterError(code, "Simulated error \(code)")
        }
    }
}
