import Hummingbird
import MaiCore

/// Liveness, database health, version, public configuration and Prometheus metrics.
struct OperationsController {
    let services: AgentServices

    func addRoutes(to routes: RouteRegistrar) {
        routes.get("/health", .open, use: health)
        // A whole-database quick_check: for administrators only (a stranger must not be able to make
        // the agent scan its database at will). maictl health reads the same through the admin API;
        // load balancers use the cheap /health.
        routes.get("/health/db", .admin, use: databaseHealth)
        routes.get("/api/version", .open, use: version)
        routes.get("/api/config", .open, use: publicConfig)
        routes.get("/metrics", .admin, use: metrics)
    }

    @Sendable func health(_ request: Request, context: AgentRequestContext) -> Response {
        // Pre-encoded: the probe every load balancer and cron job hits.
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(staticString: #"{"status":true}"#)))
    }

    @Sendable func databaseHealth(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let answer: String
        do {
            answer = try await services.database.check()
        } catch {
            context.logger.error("database health check failed", metadata: ["error": "\(error)"])
            throw APIError(.serviceUnavailable, "The database cannot be read. Check the disk and the agent's logs.")
        }
        guard answer == "ok" else {
            context.logger.error("database integrity problem", metadata: ["quick_check": .string(answer)])
            throw APIError(.serviceUnavailable, "The database failed its integrity check; restore from a backup.")
        }
        return try StatusResponse().response(from: request, context: context)
    }

    struct VersionResponse: ResponseCodable {
        var version: String
    }

    @Sendable func version(_ request: Request, context: AgentRequestContext) -> VersionResponse {
        VersionResponse(version: MaiVersion.current)
    }

    /// Open WebUI's `/api/config` for signed-out pages: name, version, whether sign-up is open.
    struct PublicConfig: ResponseCodable {
        struct Features: Codable {
            var auth: Bool
            var enable_signup: Bool
            var enable_login_form: Bool
            var enable_api_key: Bool
        }

        var status: Bool
        var name: String
        var version: String
        var default_locale: String
        var features: Features
        /// True until the first account exists, if sign-up is open: the page offers "create the
        /// admin account". With sign-up closed the first admin is made by the operator.
        var onboarding: Bool
    }

    @Sendable func publicConfig(_ request: Request, context: AgentRequestContext) async throws -> PublicConfig {
        let settings = try await services.settings.current()
        let userCount = try await services.users.count()
        return PublicConfig(
            status: true,
            name: (try? await BrandingStore(pool: services.database.pool).current()?.name) ?? services.config.name,
            version: MaiVersion.current,
            default_locale: services.config.defaultLocale,
            features: .init(auth: true, enable_signup: settings.enableSignup, enable_login_form: true, enable_api_key: settings.enableAPIKey),
            onboarding: userCount == 0 && settings.enableSignup
        )
    }

    @Sendable func metrics(_ request: Request, context: AgentRequestContext) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: services.metrics.render()))
        )
    }
}
