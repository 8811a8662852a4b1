import Hummingbird
import NIOCore

/// Small builders for the simulators' HTTP answers.
enum SimulatorResponses {
    /// A JSON response with `status`.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: value.rendered)))
    }

    /// Headers that start a server-sent-events stream. The connection is closed when a stream ends
    /// (that is how a client leaving mid-stream is noticed), so say so: clients must not reuse it.
    static let eventStreamHeaders: HTTPFields = [
        .contentType: "text/event-stream",
        .cacheControl: "no-cache",
        .connection: "close",
    ]

    /// The value of `name` in the request's query, if any.
    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name)
    }
}

/// Thrown inside a response body writer to drop the connection without finishing the body.
struct AbruptClose: Error {}
