import Prometheus

/// The agent's Prometheus metrics, in its own registry (no global metrics system to bootstrap).
public struct AgentMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    public init() {
        self.registry = PrometheusCollectorRegistry()
    }

    /// Counts one request and records how long it took.
    func record(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: "mai_http_requests", unitName: "total", helpText: "HTTP requests answered."),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "mai_http_request_duration", unitName: "seconds", helpText: "Time to answer an HTTP request."),
            labels: [("method", method), ("route", route)],
            buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// The Prometheus text exposition of every metric.
    func render() -> String {
        registry.emitToString()
    }
}
