import Foundation
import Hummingbird

/// `/api/v1/auths/…`: sign-up, sign-in, refresh, sign-out, the session user, password and profile,
/// API keys, adding users, and the admin's sign-up settings (Open WebUI's paths and shapes).
struct AuthController {
    let services: AgentServices

    func addRoutes(to routes: RouteRegistrar) {
        let base = "/api/v1/auths"
        routes.post("\(base)/signup", .open, use: signUp)
        routes.post("\(base)/signin", .open, use: signIn)
        routes.post("\(base)/refresh", .open, use: refresh)
        // POST only: a GET with an effect can be fired by any <img src> (a hostile avatar signed the
        // admin out each time Users was opened).
        routes.post("\(base)/signout", .open, use: signOut)
        routes.get("\(base)/", .signedIn, use: sessionUser)
        routes.post("\(base)/update/password", .signedIn, use: updatePassword)
        routes.post("\(base)/update/profile", .signedIn, use: updateProfile)
        routes.get("\(base)/api_key", .user, use: getAPIKey)
        routes.post("\(base)/api_key", .user, use: createAPIKey)
        routes.delete("\(base)/api_key", .user, use: deleteAPIKey)
        routes.post("\(base)/add", .admin, use: addUser)
        routes.get("\(base)/admin/config", .admin, use: adminConfig)
        routes.post("\(base)/admin/config", .admin, use: updateAdminConfig)
    }

    var limit: Int { services.config.maxJSONBodyBytes }

    @Sendable func signUp(_ request: Request, context: AgentRequestContext) async throws -> Response {
        var request = request
        let form = try await request.decodeJSON(as: SignUpForm.self, limit: limit)
        let signedIn = try await services.accounts.signUp(form, origin: origin(request, context))
        context.logger.info("account created", metadata: ["mai.op": "signup", "mai.user": .string(signedIn.user.id), "role": .string(signedIn.user.role.rawValue)])
        return try sessionResponse(signedIn, request: request, context: context)
    }

    @Sendable func signIn(_ request: Request, context: AgentRequestContext) async throws -> Response {
        var request = request
        let form = try await request.decodeJSON(as: SignInForm.self, limit: limit)
        let signedIn = try await services.accounts.signIn(form, origin: origin(request, context))
        return try sessionResponse(signedIn, request: request, context: context)
    }

    @Sendable func refresh(_ request: Request, context: AgentRequestContext) async throws -> Response {
        var request = request
        var token = request.cookies[Authenticator.refreshCookie]?.value
        if request.headers[.contentLength].map({ $0 != "0" }) ?? false || request.headers[.transferEncoding] != nil {
            token = try await request.decodeJSON(as: RefreshForm.self, limit: limit).refresh_token ?? token
        }
        guard let token, !token.isEmpty else {
            throw APIError(.unauthorized, "No refresh token: send it as refresh_token or in the refresh_token cookie, or sign in again.")
        }
        do {
            return try sessionResponse(try await services.accounts.refresh(token), request: request, context: context)
        } catch let error as APIError where error.status == .unauthorized {
            var response = error.response(from: request, context: context)
            clearCookies(&response)
            return response
        }
    }

    @Sendable func signOut(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let identity = try? await services.authenticator.identify(request)
        try await services.accounts.signOut(
            sessionID: identity?.sessionID,
            refreshToken: request.cookies[Authenticator.refreshCookie]?.value
        )
        var response = try StatusResponse().response(from: request, context: context)
        clearCookies(&response)
        return response
    }

    @Sendable func sessionUser(_ request: Request, context: AgentRequestContext) async throws -> SessionUserResponse {
        let identity = try context.requireIdentity()
        let token = request.bearerToken ?? request.cookies[Authenticator.accessCookie]?.value
        return SessionUserResponse(user: identity.user, token: identity.method == .apiKey ? nil : token, expiresAt: nil, refreshToken: nil)
    }

    @Sendable func updatePassword(_ request: Request, context: AgentRequestContext) async throws -> PasswordChangedResponse {
        var request = request
        let form = try await request.decodeJSON(as: PasswordChangeForm.self, limit: limit)
        let revoked = try await services.accounts.changePassword(of: try context.requireIdentity(), current: form.password, new: form.new_password)
        return PasswordChangedResponse(api_key_revoked: revoked)
    }

    @Sendable func updateProfile(_ request: Request, context: AgentRequestContext) async throws -> UserResponse {
        var request = request
        let form = try await request.decodeJSON(as: ProfileForm.self, limit: limit)
        let name = try Credentials.name(form.name)
        let image = try Credentials.profileImageURL(form.profile_image_url)
        let user = try await services.users.update(id: try context.requireIdentity().user.id, now: services.clock.seconds) {
            $0.name = name
            if form.profile_image_url != nil { $0.profileImageURL = image }
        }
        return UserResponse(user)
    }

    @Sendable func getAPIKey(_ request: Request, context: AgentRequestContext) async throws -> APIKeyResponse {
        guard let key = try await services.apiKeys.find(userID: try context.requireIdentity().user.id) else {
            throw APIError(.notFound, "You have no API key yet. Create one with POST /api/v1/auths/api_key.")
        }
        return APIKeyResponse(key, secret: nil)
    }

    @Sendable func createAPIKey(_ request: Request, context: AgentRequestContext) async throws -> APIKeyResponse {
        guard try await services.settings.current().enableAPIKey else {
            throw APIError(.forbidden, "API keys are switched off on this instance. Ask your administrator.")
        }
        let user = try context.requireIdentity().user
        let key = TokenService.newAPIKey()
        let record = APIKeyRecord(id: UUID().uuidString.lowercased(), userID: user.id, keyHash: key.hash,
                                  displayPrefix: String(key.key.prefix(7)), createdAt: services.clock.seconds, lastUsedAt: nil)
        try await services.apiKeys.replace(record)
        context.logger.info("api key created", metadata: ["mai.op": "api_key.create"])
        return APIKeyResponse(record, secret: key.key)
    }

    @Sendable func deleteAPIKey(_ request: Request, context: AgentRequestContext) async throws -> StatusResponse {
        guard try await services.apiKeys.delete(userID: try context.requireIdentity().user.id) else {
            throw APIError(.notFound, "You have no API key to delete.")
        }
        return StatusResponse()
    }

    @Sendable func addUser(_ request: Request, context: AgentRequestContext) async throws -> UserResponse {
        var request = request
        let form = try await request.decodeJSON(as: AddUserForm.self, limit: limit)
        let user = try await services.accounts.addUser(form)
        context.logger.info("account added by admin", metadata: ["mai.op": "users.add", "target": .string(user.id)])
        return UserResponse(user)
    }

    @Sendable func adminConfig(_ request: Request, context: AgentRequestContext) async throws -> AdminAuthConfig {
        AdminAuthConfig(try await services.settings.current())
    }

    @Sendable func updateAdminConfig(_ request: Request, context: AgentRequestContext) async throws -> AdminAuthConfig {
        var request = request
        let form = try await request.decodeJSON(as: AdminAuthConfigForm.self, limit: limit)
        let values = try form.storedValues()
        try await services.settings.repository.store(values, by: try context.requireIdentity().user.id, now: services.clock.seconds)
        context.logger.info("auth settings changed", metadata: ["mai.op": "settings.auth", "keys": .string(values.keys.sorted().joined(separator: ","))])
        return AdminAuthConfig(try await services.settings.current())
    }

    // MARK: - Helpers

    func origin(_ request: Request, _ context: AgentRequestContext) -> AccountService.Origin {
        AccountService.Origin(
            address: context.clientAddress(request, trustedProxies: services.config.forwardedAllowIPs),
            userAgent: request.headers[.userAgent] ?? ""
        )
    }

    func sessionResponse(_ signedIn: AccountService.SignedIn, request: Request, context: AgentRequestContext) throws -> Response {
        let body = SessionUserResponse(user: signedIn.user, token: signedIn.accessToken, expiresAt: signedIn.expiresAt, refreshToken: signedIn.refreshToken)
        var response = try body.response(from: request, context: context)
        let now = services.clock.seconds
        let secure = services.config.secureCookies
        let accessAge = Int((signedIn.expiresAt ?? signedIn.refreshExpiresAt) - now)
        response.setCookie(Cookie(name: Authenticator.accessCookie, value: signedIn.accessToken, maxAge: accessAge, path: "/",
                                  secure: secure, httpOnly: true, sameSite: .lax))
        response.setCookie(Cookie(name: Authenticator.refreshCookie, value: signedIn.refreshToken, maxAge: Int(signedIn.refreshExpiresAt - now),
                                  path: "/api/v1/auths", secure: secure, httpOnly: true, sameSite: .lax))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func clearCookies(_ response: inout Response) {
        let secure = services.config.secureCookies
        response.setCookie(Cookie(name: Authenticator.accessCookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax))
        response.setCookie(Cookie(name: Authenticator.refreshCookie, value: "", maxAge: 0, path: "/api/v1/auths", secure: secure, httpOnly: true, sameSite: .lax))
    }
}
