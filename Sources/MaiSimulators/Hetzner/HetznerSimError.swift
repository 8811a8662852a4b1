import HTTPTypes
import Hummingbird

/// An error answer in Hetzner's shape `{"error": {"code", "message", "details"}}`.
public struct HetznerSimError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let details: JSONValue

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: JSONValue = .null) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    var body: JSONValue {
        .object([("error", .object([("code", .string(code)), ("message", .string(message)), ("details", details)]))])
    }

    /// `invalid_input` naming fields: `details.fields[{name, messages}]`.
    static func invalidInput(_ fields: [(String, String)]) -> HetznerSimError {
        let names = fields.map(\.0).joined(separator: ", ")
        let list: [JSONValue] = fields.map { .object([("name", .string($0.0)), ("messages", .array([.string($0.1)]))]) }
        return HetznerSimError(.badRequest, "invalid_input", "invalid input in field '\(names)'", details: .object([("fields", .array(list))]))
    }

    static func invalidInput(_ field: String, _ message: String) -> HetznerSimError { invalidInput([(field, message)]) }

    static let unauthorized = HetznerSimError(.unauthorized, "unauthorized", "unable to authenticate")
    static let jsonError = HetznerSimError(.badRequest, "json_error", "Invalid JSON input in your request")

    static func notFound(_ what: String) -> HetznerSimError { HetznerSimError(.notFound, "not_found", "\(what) not found") }

    static func uniqueness(_ field: String) -> HetznerSimError {
        HetznerSimError(.conflict, "uniqueness_error", "\(field) is already used",
                        details: .object([("fields", .array([.object([("name", .string(field))])]))]))
    }
}
