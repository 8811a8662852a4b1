/// When and how long to wait before sending a request again — as hcloud-python does: retry
/// `rate_limit_exceeded`, `conflict`, `timeout`, 502/503/504 and network failures, exponential backoff
/// (1 s base, ×2, capped at 60 s, with jitter), 5 tries in all.
public struct HetznerRetryPolicy: Sendable {
    public var maxTries: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxTries: Int = 5, baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(60)) {
        self.maxTries = maxTries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Error codes worth another try.
    static let retriedCodes: Set<String> = ["rate_limit_exceeded", "conflict", "timeout", "unavailable", "service_error"]

    /// Whether `error` answered to `request` may be retried after try number `attempt` (1-based).
    func shouldRetry(_ error: Error, request: HetznerRequest, attempt: Int) -> Bool {
        guard attempt < maxTries else { return false }
        switch error {
        case let error as HetznerAPIError:
            if error.status == 429 || error.code == "rate_limit_exceeded" || error.code == "conflict" { return true }
            // Without a clear "not done", a repeated POST could do a thing twice.
            guard request.isIdempotent || error.status == 503 else { return false }
            return Self.retriedCodes.contains(error.code) || [502, 503, 504].contains(error.status)
        case HetznerClientError.transport:
            return request.isIdempotent
        default:
            return false
        }
    }

    /// The pause after try number `attempt`: base × 2^(attempt-1), capped, then jittered to 50–100 %.
    func delay(afterAttempt attempt: Int, jitter: Double = Double.random(in: 0.5...1)) -> Duration {
        var delay = baseDelay
        for _ in 1..<max(1, attempt) where delay < maxDelay { delay *= 2 }
        delay = min(delay, maxDelay)
        return delay * jitter
    }
}
