import Hummingbird
import Logging

/// Measures every request for `/metrics` and writes one access-log line (probes at debug level).
struct ObservationMiddleware: RouterMiddleware {
    typealias Context = AgentRequestContext
    let metrics: AgentMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let duration = ContinuousClock.now - start
        // The route template (`/api/v1/users/{id}`), never the raw path: bounded label values.
        let route = context.endpointPath ?? "unmatched"
        metrics.record(method: request.method.rawValue, route: route, status: response.status.code, duration: duration)
        let level: Logger.Level = route.hasPrefix("/health") || route == "/metrics" ? .debug : .info
        context.logger.log(
            level: level,
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.route": .string(route),
                "http.status": .stringConvertible(response.status.code),
                "duration_ms": .stringConvertible(Double(duration.components.attoseconds / 1_000_000_000_000) / 1000 + Double(duration.components.seconds) * 1000),
            ]
        )
        return response
    }
}
