import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the agent's router: middleware, then every controller's routes behind their access guard.
/// Returns the router and the list of routes with their access, for the role-matrix test.
func buildRouter(services: AgentServices) -> (router: Router<AgentRequestContext>, routes: [RouteRegistrar.Entry]) {
    let router = Router(context: AgentRequestContext.self)
    // Order matters: outermost first. Errors become {"detail"} answers before they are measured.
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: ObservationMiddleware(metrics: services.metrics))
    router.add(middleware: SecurityHeadersMiddleware(strictTransport: services.config.secureCookies))
    if !services.config.corsAllowOrigins.isEmpty {
        router.add(middleware: CORSPolicyMiddleware(origins: services.config.corsAllowOrigins))
    }
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: SameOriginMiddleware(allowedOrigins: services.config.corsAllowOrigins))

    let routes = RouteRegistrar(router: router, authenticator: services.authenticator)
    OperationsController(services: services).addRoutes(to: routes)
    AuthController(services: services).addRoutes(to: routes)
    UsersController(services: services).addRoutes(to: routes)
    ModelsController(services: services).addRoutes(to: routes)
    ConnectionsController(
        connections: services.connections, catalog: services.catalog, providers: services.providerFactory,
        retiredKeys: services.retiredKeys, keySetTimes: services.keySetTimes, clock: services.clock,
        maxBodyBytes: services.config.maxJSONBodyBytes
    ).addRoutes(to: routes)
    CompletionsController(services: services).addRoutes(to: routes)
    UsageController(services: services, refreshSeconds: services.config.usageRefreshSeconds).addRoutes(to: routes)
    ChatsController(services: services).addRoutes(to: routes)
    BrandingController(services: services).addRoutes(to: routes)
    FilesController(services: services).addRoutes(to: routes)
    KnowledgeController(services: services).addRoutes(to: routes)
    WebController().addRoutes(to: routes)
    return (router, routes.entries)
}

/// The agent's web application on `HOST:PORT`, as `mai-agent serve` runs it and tests drive it.
public func buildApplication(services: AgentServices, onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
    let (router, _) = buildRouter(services: services)
    var background: [any Service] = [services.confirmations]
    if let token = services.config.fleetToken {
        // The fleet admin API: its own listener, only with a token to guard it.
        background.append(Application(
            router: buildAdminRouter(services: services, token: token),
            configuration: .init(address: .hostname(services.config.adminBind.host, port: services.config.adminBind.port)),
            logger: services.logger
        ))
    } else {
        services.logger.notice("fleet admin API off: set MAI_FLEET_TOKEN to enable it on ADMIN_BIND")
    }
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [MalformedRequestHandler()])),
        configuration: .init(
            address: .hostname(services.config.host, port: services.config.port),
            serverName: nil
        ),
        services: background,
        onServerRunning: onServerRunning,
        logger: services.logger
    )
}
