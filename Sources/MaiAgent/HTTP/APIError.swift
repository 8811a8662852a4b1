import Foundation
import Hummingbird

/// An error answered as JSON `{"detail": "…"}` with its status, Open WebUI's error shape.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// What happened and what to do, shown to the user.
    public let detail: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) -> Response {
        Self.response(status: status, detail: detail, headers: headers)
    }

    /// A `{"detail": …}` response.
    public static func response(status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:]) -> Response {
        let body = (try? JSONEncoder().encode(["detail": detail])) ?? Data(#"{"detail":"error"}"#.utf8)
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static let unauthenticated = APIError(
        .unauthorized,
        "Not signed in: sign in, or send an access token or API key as 'Authorization: Bearer …'.",
        headers: [.wwwAuthenticate: "Bearer"]
    )
    static let invalidToken = APIError(
        .unauthorized,
        "Your session has expired or was ended. Sign in again.",
        headers: [.wwwAuthenticate: #"Bearer error="invalid_token""#]
    )
    static let pendingApproval = APIError(
        .forbidden,
        "Your account is waiting for approval by an administrator. You can use mAI once they approve it."
    )
    static let adminOnly = APIError(.forbidden, "Only an administrator can do this.")
}
