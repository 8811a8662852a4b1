import Foundation

/// An error answer of the Hetzner API, `{"error": {"code", "message", "details"}}`, with the
/// `X-Correlation-Id` that Hetzner support asks for — in every message.
public struct HetznerAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One field named by an `invalid_input` answer.
    public struct FieldError: Sendable, Equatable {
        public var name: String
        public var messages: [String]
    }

    public var status: Int
    /// `invalid_input`, `uniqueness_error`, `rate_limit_exceeded`, …
    public var code: String
    public var message: String
    public var fields: [FieldError]
    public var correlationID: String?

    public init(status: Int, code: String, message: String, fields: [FieldError] = [], correlationID: String?) {
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.correlationID = correlationID
    }

    public var description: String {
        var text = "Hetzner API: \(message) (\(code), HTTP \(status))"
        for field in fields { text += "; \(field.name): \(field.messages.joined(separator: ", "))" }
        text += " [correlation id \(correlationID ?? "none")]"
        if let advice { text += " — \(advice)" }
        return text
    }

    /// What to do next, for the codes an operator can act on.
    var advice: String? {
        switch code {
        case "unauthorized": "check HCLOUD_TOKEN (a read/write API token of the project)"
        case "forbidden", "token_readonly": "the token cannot do this: create a read/write token in the Hetzner console"
        case "rate_limit_exceeded": "the project's 3600 requests/hour are spent; wait and run again"
        case "resource_limit_exceeded": "the project's server limit is reached; ask Hetzner to raise it"
        case "uniqueness_error": "a resource with that name already exists; rename or delete it"
        default: nil
        }
    }

    /// Parses an error body; a body that is not Hetzner's shape keeps its first bytes as the message.
    static func parse(status: Int, body: Data, correlationID: String?) -> HetznerAPIError {
        struct Envelope: Decodable {
            struct Body: Decodable {
                struct Details: Decodable {
                    struct Field: Decodable { let name: String; let messages: [String]? }
                    let fields: [Field]?
                }
                let code: String
                let message: String
                let details: Details?
            }
            let error: Body
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: body) else {
            let text = String(decoding: body.prefix(200), as: UTF8.self)
            return HetznerAPIError(status: status, code: "http_\(status)", message: text.isEmpty ? "no error body" : text, correlationID: correlationID)
        }
        let fields = (envelope.error.details?.fields ?? []).map { FieldError(name: $0.name, messages: $0.messages ?? []) }
        return HetznerAPIError(status: status, code: envelope.error.code, message: envelope.error.message, fields: fields, correlationID: correlationID)
    }
}

/// Failures of the client itself (before or after the API answered).
public enum HetznerClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case noToken
    case invalidEndpoint(String)
    case transport(String)
    case invalidResponse(reason: String, correlationID: String?)
    case actionFailed(id: Int, command: String, code: String, message: String)
    case actionTimedOut(id: Int, command: String, progress: Int, seconds: Int)

    public var description: String {
        switch self {
        case .noToken:
            "HCLOUD_TOKEN is not set: create an API token (read/write) in the Hetzner console and export HCLOUD_TOKEN"
        case .invalidEndpoint(let text):
            "HCLOUD_ENDPOINT \"\(text)\" is not an http(s) URL such as https://api.hetzner.cloud/v1"
        case .transport(let reason):
            "Hetzner API unreachable: \(reason) — check the network (or HCLOUD_ENDPOINT) and run again"
        case .invalidResponse(let reason, let id):
            "Hetzner API answered something unexpected: \(reason) [correlation id \(id ?? "none")]"
        case .actionFailed(let id, let command, let code, let message):
            "Hetzner action \(id) (\(command)) failed: \(message) (\(code))"
        case .actionTimedOut(let id, let command, let progress, let seconds):
            "Hetzner action \(id) (\(command)) still running at \(progress)% after \(seconds) s — see it in the console; run again to continue"
        }
    }
}
