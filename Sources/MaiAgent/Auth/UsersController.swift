import Foundation
import Hummingbird

/// `/api/v1/users/…`: the admin's user management — list, inspect, change role or details, reset a
/// password, deactivate and re-activate, delete. The last active admin can be neither demoted,
/// deactivated nor deleted.
struct UsersController {
    let services: AgentServices

    func addRoutes(to routes: RouteRegistrar) {
        let base = "/api/v1/users"
        routes.get("\(base)/", .admin, use: list)
        routes.post("\(base)/update/role", .admin, use: updateRole)
        routes.get("\(base)/:id", .admin, use: get)
        routes.post("\(base)/:id/update", .admin, use: update)
        routes.post("\(base)/:id/deactivate", .admin, use: deactivate)
        routes.post("\(base)/:id/activate", .admin, use: activate)
        routes.delete("\(base)/:id", .admin, use: delete)
    }

    struct UserList: ResponseCodable {
        var users: [UserResponse]
        var total: Int
    }

    struct RoleForm: Decodable {
        var id: String
        var role: UserRole
    }

    struct UpdateForm: Decodable {
        var name: String?
        var email: String?
        var role: UserRole?
        var password: String?
        var profile_image_url: String?
    }

    @Sendable func list(_ request: Request, context: AgentRequestContext) async throws -> UserList {
        let page = try Self.positive(request.uri.queryParameters.get("page"), name: "page", default: 1)
        let limit = min(try Self.positive(request.uri.queryParameters.get("limit"), name: "limit", default: 50), 500)
        let (users, total) = try await services.users.list(offset: (page - 1) * limit, limit: limit)
        return UserList(users: users.map(UserResponse.init), total: total)
    }

    @Sendable func get(_ request: Request, context: AgentRequestContext) async throws -> UserResponse {
        guard let user = try await services.users.find(id: try context.parameters.require("id")) else { throw AccountError.notFound }
        return UserResponse(user)
    }

    @Sendable func updateRole(_ request: Request, context: AgentRequestContext) async throws -> UserResponse {
        var request = request
        let form = try await request.decodeJSON(as: RoleForm.self, limit: services.config.maxJSONBodyBytes)
        return try await change(id: form.id, context: context, op: "users.role") { $0.role = form.role }
    }

    @Sendable func update(_ request: Request, context: AgentRequestContext) async throws -> UserResponse {
        var request = request
        let id = try context.parameters.require("id")
        let form = try await request.decodeJSON(as: UpdateForm.self, limit: services.config.maxJSONBodyBytes)
        let name = try form.name.map(Credentials.name)
        let email = try form.email.map(Credentials.normalisedEmail)
        let image = try form.profile_image_url.map { try Credentials.profileImageURL($0) }
        if let password = form.password {
            guard try await services.users.find(id: id) != nil else { throw AccountError.notFound }
            _ = try await services.accounts.resetPassword(userID: id, to: password)
            context.logger.info("password reset by admin", metadata: ["mai.op": "users.password", "target": .string(id)])
        }
        return try await change(id: id, context: context, op: "users.update") { user in
            if let name { user.name = name }
            if let email { user.email = email }
            if let role = form.role { user.role = role }
            if let image { user.profileImageURL = image }
        }
    }

    @Sendable func deactivate(_ request: Request, context: AgentRequestContext) async throws -> UserResponse {
        let id = try context.parameters.require("id")
        let user = try await change(id: id, context: context, op: "users.deactivate") { $0.isActive = false }
        try await services.sessions.revokeAll(userID: id, reason: "deactivated", now: services.clock.seconds, keeping: nil)
        return user
    }

    @Sendable func activate(_ request: Request, context: AgentRequestContext) async throws -> UserResponse {
        try await change(id: try context.parameters.require("id"), context: context, op: "users.activate") { $0.isActive = true }
    }

    @Sendable func delete(_ request: Request, context: AgentRequestContext) async throws -> StatusResponse {
        let id = try context.parameters.require("id")
        try await services.users.delete(id: id)
        context.logger.info("account deleted", metadata: ["mai.op": "users.delete", "target": .string(id)])
        return StatusResponse()
    }

    private func change(id: String, context: AgentRequestContext, op: String, _ apply: @escaping @Sendable (inout UserRecord) -> Void) async throws -> UserResponse {
        let user = try await services.users.update(id: id, now: services.clock.seconds, apply)
        context.logger.info("account changed", metadata: ["mai.op": .string(op), "target": .string(id)])
        return UserResponse(user)
    }

    static func positive(_ raw: String?, name: String, default value: Int) throws -> Int {
        guard let raw else { return value }
        guard let number = Int(raw), number >= 1, number <= 1_000_000 else {
            throw APIError(.badRequest, "'\(name)' must be a whole number of at least 1; got '\(raw.prefix(20))'.")
        }
        return number
    }
}
