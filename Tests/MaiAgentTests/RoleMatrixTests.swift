import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MaiAgent

/// Every route the router really has, called with each kind of caller. The list comes from the
/// registrar that built the router, and is cross-checked against Hummingbird's own route list,
/// so a route added later is covered without editing this test.
@Suite("Role matrix")
struct RoleMatrixTests {
    static func concrete(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "00000000-0000-0000-0000-000000000000" : segment == "**" ? "app.js" : String(segment)
        }.joined(separator: "/")
    }

    @Test("the registrar's list is the router's list")
    func everyRouteIsClassified() async throws {
        let agent = try await TestAgent()
        let fromRouter = Set(agent.router.routes.map { "\($0.method) \($0.path)" })
        let fromRegistrar = Set(agent.routes.map { "\($0.method) \(RouterPath($0.path))" })
        #expect(fromRouter == fromRegistrar)
        #expect(agent.routes.filter { $0.access == .admin }.count >= 10)
    }

    /// Who each route is *meant* for, kept by hand from the product's rules (README, "Accounts and
    /// roles"), not read from the code: a route registered with the wrong `RouteAccess` disagrees
    /// with this table and fails, and so does a route added without a line here.
    static let intended: [String: RouteAccess] = {
        var table: [String: RouteAccess] = [:]
        // Anyone: signing in and up, the page and its files, the brand, liveness.
        for route in [
            "POST /api/v1/auths/signup", "POST /api/v1/auths/signin", "POST /api/v1/auths/refresh", "POST /api/v1/auths/signout",
            "GET /", "GET /openapi.json", "GET /static/**", "GET /favicon.ico",
            "GET /api/v1/branding", "GET /branding.css", "GET /branding/logo", "GET /branding/favicon",
            "GET /health", "GET /api/version", "GET /api/config",
        ] { table[route] = .open }
        // Any account, also one waiting for approval: who am I, my password, my name.
        for route in ["GET /api/v1/auths/", "POST /api/v1/auths/update/password", "POST /api/v1/auths/update/profile"] {
            table[route] = .signedIn
        }
        // Approved employees: their own chats, files, collections, keys, usage, and the models.
        for route in [
            "GET /api/v1/auths/api_key", "POST /api/v1/auths/api_key", "DELETE /api/v1/auths/api_key",
            "GET /api/models", "GET /v1/models", "POST /api/chat/completions", "POST /v1/chat/completions",
            "GET /api/v1/usage/summary", "GET /api/v1/usage/report",
            "GET /api/v1/chats/", "GET /api/v1/chats/list", "DELETE /api/v1/chats/", "POST /api/v1/chats/new",
            "GET /api/v1/chats/search", "GET /api/v1/chats/pinned", "GET /api/v1/chats/archived", "GET /api/v1/chats/all",
            "POST /api/v1/chats/import", "GET /api/v1/chats/:id", "POST /api/v1/chats/:id", "DELETE /api/v1/chats/:id",
            "POST /api/v1/chats/:id/pin", "POST /api/v1/chats/:id/archive",
            "POST /api/v1/files/", "GET /api/v1/files/", "POST /api/v1/files/uploads", "PUT /api/v1/files/uploads/:id",
            "GET /api/v1/files/:id", "DELETE /api/v1/files/:id",
            "GET /api/v1/knowledge/", "POST /api/v1/knowledge/create", "POST /api/v1/knowledge/query",
            "GET /api/v1/knowledge/people", "GET /api/v1/knowledge/passages/:id", "GET /api/v1/knowledge/sources/:chat_id",
            "GET /api/v1/knowledge/:id", "POST /api/v1/knowledge/:id/update", "POST /api/v1/knowledge/:id/file/add",
            "POST /api/v1/knowledge/:id/file/remove", "DELETE /api/v1/knowledge/:id/delete",
        ] { table[route] = .user }
        // The client's admin: people, connections (keys), models, everyone's usage and budgets,
        // branding, retrieval settings, the deep health check and metrics.
        for route in [
            "POST /api/v1/auths/add", "GET /api/v1/auths/admin/config", "POST /api/v1/auths/admin/config",
            "GET /api/v1/users/", "POST /api/v1/users/update/role", "GET /api/v1/users/:id", "POST /api/v1/users/:id/update",
            "POST /api/v1/users/:id/deactivate", "POST /api/v1/users/:id/activate", "DELETE /api/v1/users/:id",
            "GET /api/v1/connections/", "POST /api/v1/connections/new", "POST /api/v1/connections/:id",
            "POST /api/v1/connections/:id/verify", "DELETE /api/v1/connections/:id",
            "GET /api/v1/configs/models", "POST /api/v1/configs/models",
            "GET /api/v1/usage/generations", "GET /api/v1/usage/external", "GET /api/v1/usage/budgets",
            "POST /api/v1/usage/budgets", "POST /api/v1/usage/sync",
            "GET /api/v1/admin/branding", "PUT /api/v1/admin/branding", "DELETE /api/v1/admin/branding",
            "PUT /api/v1/admin/branding/logo", "DELETE /api/v1/admin/branding/logo",
            "PUT /api/v1/admin/branding/favicon", "DELETE /api/v1/admin/branding/favicon",
            "GET /api/v1/retrieval/config", "POST /api/v1/retrieval/config/update",
            "GET /health/db", "GET /metrics",
        ] { table[route] = .admin }
        return table
    }()

    @Test("every route is registered for the people the hand-kept table says, and no route is missing from it")
    func registeredAccessIsTheIntendedOne() async throws {
        let agent = try await TestAgent()
        let registered = Dictionary(agent.routes.map { ("\($0.method) \($0.path)", $0.access) }, uniquingKeysWith: { first, _ in first })
        let unlisted = registered.keys.filter { Self.intended[$0] == nil }.sorted()
        let gone = Self.intended.keys.filter { registered[$0] == nil }.sorted()
        let mislabelled = registered.compactMap { route, access in
            Self.intended[route].flatMap { $0 == access ? nil : "\(route): registered .\(access), meant .\($0)" }
        }.sorted()
        #expect(unlisted.isEmpty, "routes without a line in RoleMatrixTests.intended (decide who they are for): \(unlisted)")
        #expect(gone.isEmpty, "lines in RoleMatrixTests.intended with no such route: \(gone)")
        #expect(mislabelled.isEmpty, "\(mislabelled.joined(separator: "\n"))")
        #expect(agent.routes.count == registered.count, "a route is registered twice: \(agent.routes.map { "\($0.method) \($0.path)" }.sorted())")
    }

    /// True when the response is the access guard's refusal (its exact status and text), not the
    /// handler's own answer to an empty or unknown request.
    static func refusedByGuard(_ response: TestResponse) -> Bool {
        (response.status == .unauthorized && response.detail == APIError.unauthenticated.detail)
            || (response.status == .forbidden && [APIError.pendingApproval.detail, APIError.adminOnly.detail].contains(response.detail))
    }

    @Test("each caller is let in exactly where the table says: anonymous, pending, employee, admin")
    func behaviourFollowsTheTable() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let callers: [(name: String, role: UserRole?, token: String?)] = [
                ("anonymous", nil, nil), ("pending", .pending, tokens.pending), ("user", .user, tokens.user), ("admin", .admin, tokens.admin),
            ]
            var wrong: [String] = []
            // Open routes are called anonymously only (a signed-in call to sign-out would end the
            // session the later calls use); for them the guard must never answer.
            for (route, access) in Self.intended.sorted(by: { $0.key < $1.key }) {
                let parts = route.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(rawValue: String(parts[0]))!
                let path = Self.concrete(String(parts[1]))
                for caller in callers where access != .open || caller.role == nil {
                    var headers: HTTPFields = [.contentType: "application/json"]
                    if let token = caller.token { headers[.authorization] = "Bearer \(token)" }
                    let response = try await client.execute(uri: path, method: method, headers: headers, body: Body.json([:]))
                    let admitted = access.minimumRole.map { minimum in caller.role.map { $0 >= minimum } ?? false } ?? true
                    let refused = Self.refusedByGuard(response)
                    if admitted == refused {
                        wrong.append("\(route) as \(caller.name): \(response.status.code) \(response.detail) (meant \(access): \(admitted ? "let in" : "refused"))")
                    } else if !admitted {
                        let expected: HTTPResponse.Status = caller.role == nil ? .unauthorized : .forbidden
                        if response.status != expected { wrong.append("\(route) as \(caller.name): \(response.status.code), expected \(expected.code)") }
                    }
                }
            }
            #expect(wrong.isEmpty, "\(wrong.count) wrong answers:\n\(wrong.joined(separator: "\n"))")
        }
    }
}
