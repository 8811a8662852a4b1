import Hummingbird

/// Adds routes to the router behind the guard their `RouteAccess` asks for, and keeps the list,
/// so the role matrix can be tested from what was really registered.
final class RouteRegistrar {
    typealias Context = AgentRequestContext

    /// One registered route.
    struct Entry: Sendable, Hashable {
        var method: HTTPRequest.Method
        var path: String
        var access: RouteAccess
    }

    private let groups: [RouteAccess: RouterGroup<Context>]
    private(set) var entries: [Entry] = []

    init(router: Router<Context>, authenticator: Authenticator) {
        var groups: [RouteAccess: RouterGroup<Context>] = [:]
        for access in RouteAccess.allCases {
            let group = router.group()
            if let role = access.minimumRole {
                group.add(middleware: RequireRole(minimum: role, authenticator: authenticator))
            }
            groups[access] = group
        }
        self.groups = groups
    }

    func on<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ access: RouteAccess,
        use handler: @escaping @Sendable (Request, Context) async throws -> Output
    ) {
        groups[access]!.on(RouterPath(path), method: method, use: handler)
        entries.append(Entry(method: method, path: path, access: access))
    }

    func get<Output: ResponseGenerator>(_ path: String, _ access: RouteAccess, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.get, path, access, use: handler)
    }

    func post<Output: ResponseGenerator>(_ path: String, _ access: RouteAccess, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.post, path, access, use: handler)
    }

    func delete<Output: ResponseGenerator>(_ path: String, _ access: RouteAccess, use handler: @escaping @Sendable (Request, Context) async throws -> Output) {
        on(.delete, path, access, use: handler)
    }
}
