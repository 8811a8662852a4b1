import Crypto
import Foundation
import Hummingbird
import MaiCore

/// Lets a request through only with `Authorization: Bearer <MAI_FLEET_TOKEN>`. The comparison is
/// constant-time (digests compared byte by byte without early exit); any failure is the same bare
/// 401, for every path, so nothing about the API is revealed without the token.
struct FleetTokenMiddleware: RouterMiddleware {
    typealias Context = AgentRequestContext
    let expected: [UInt8]

    init(token: Secret) {
        self.expected = Array(SHA256.hash(data: Data(token.value.utf8)))
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let given = Array(SHA256.hash(data: Data((request.bearerToken ?? "").utf8)))
        var difference: UInt8 = 0
        for (left, right) in zip(given, expected) { difference |= left ^ right }
        guard difference == 0, request.bearerToken != nil else {
            return APIError.response(status: .unauthorized, detail: "Unauthorized", headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }
}
