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

    @Test("every admin route answers 403 to a user and to a pending account, and 401 to nobody")
    func adminRoutes() async throws {
        let agent = try await TestAgent()
        let adminRoutes = agent.routes.filter { $0.access == .admin }
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            for route in adminRoutes {
                let path = Self.concrete(route.path)
                for (who, token) in [("user", tokens.user), ("pending", tokens.pending)] {
                    let response = try await client.execute(uri: path, method: route.method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: Body.json([:]))
                    #expect(response.status == .forbidden, "\(route.method) \(route.path) as \(who): \(response.status)")
                    #expect(!response.detail.isEmpty)
                }
                let anonymous = try await client.execute(uri: path, method: route.method)
                #expect(anonymous.status == .unauthorized, "\(route.method) \(route.path) anonymous: \(anonymous.status)")
                // And the admin gets past the guard (whatever the handler then says about the empty body).
                let asAdmin = try await client.execute(uri: path, method: route.method, headers: [.authorization: "Bearer \(tokens.admin)", .contentType: "application/json"], body: Body.json([:]))
                #expect(asAdmin.status != .forbidden && asAdmin.status != .unauthorized, "\(route.method) \(route.path) as admin: \(asAdmin.status)")
            }
        }
    }

    @Test("every approved-user route answers 403 to a pending account and 401 to nobody")
    func userRoutes() async throws {
        let agent = try await TestAgent()
        let routes = agent.routes.filter { $0.access == .user }
        #expect(!routes.isEmpty)
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            for route in routes {
                let path = Self.concrete(route.path)
                let pending = try await client.execute(uri: path, method: route.method, headers: [.authorization: "Bearer \(tokens.pending)", .contentType: "application/json"], body: Body.json([:]))
                #expect(pending.status == .forbidden, "\(route.method) \(route.path) as pending")
                #expect(pending.detail.contains("waiting for approval"))
                #expect(try await client.execute(uri: path, method: route.method).status == .unauthorized)
            }
        }
    }

    @Test("signed-in routes answer 401 without credentials")
    func signedInRoutes() async throws {
        let agent = try await TestAgent()
        for route in agent.routes where route.access == .signedIn {
            try await agent.test { client in
                let status = try await client.execute(uri: Self.concrete(route.path), method: route.method).status
                #expect(status == .unauthorized, "\(route.method) \(route.path)")
            }
        }
    }
}
