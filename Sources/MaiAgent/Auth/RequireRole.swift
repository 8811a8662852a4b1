import Hummingbird

/// Lets a request through only when its caller has at least `minimum` role; sets `context.identity`.
struct RequireRole: RouterMiddleware {
    typealias Context = AgentRequestContext
    let minimum: UserRole
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = try await authenticator.identify(request) else { throw APIError.unauthenticated }
        if identity.user.role < minimum {
            throw identity.user.role == .pending ? APIError.pendingApproval : APIError.adminOnly
        }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "mai.user"] = .string(identity.user.id)
        return try await next(request, context)
    }
}
