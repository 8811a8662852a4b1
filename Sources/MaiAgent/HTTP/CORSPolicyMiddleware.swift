import HTTPTypes
import Hummingbird

/// Lets the browser origins of `CORS_ALLOW_ORIGIN` call the API (credentials only for named origins).
struct CORSPolicyMiddleware: RouterMiddleware {
    typealias Context = AgentRequestContext
    let origins: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains("*") || origins.contains(origin) else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Accept, Authorization, Content-Type, Origin, X-Request-Id"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        let wildcard = origins.contains("*")
        response.headers[.accessControlAllowOrigin] = wildcard ? "*" : origin
        if !wildcard {
            response.headers[.accessControlAllowCredentials] = "true"
            response.headers[.vary] = "Origin"
        }
        return response
    }
}
