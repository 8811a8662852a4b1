import Foundation

/// What the last answer's `RateLimit-Limit/Remaining/Reset` headers said; the client waits before a
/// request when nothing is left, rather than spending a 429.
public struct HetznerRateLimit: Sendable, Equatable {
    public var limit: Int
    public var remaining: Int
    /// UNIX time when the budget is full again.
    public var reset: Int

    public init(limit: Int, remaining: Int, reset: Int) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
    }

    /// From response headers; nil when they are missing or not integers.
    public init?(headers: [String: String]) {
        guard let limit = headers["ratelimit-limit"].flatMap({ Int($0) }),
              let remaining = headers["ratelimit-remaining"].flatMap({ Int($0) }),
              let reset = headers["ratelimit-reset"].flatMap({ Int($0) })
        else { return nil }
        self.init(limit: limit, remaining: remaining, reset: reset)
    }

    /// How long to wait before the next request at `now`: nothing while requests remain, else until one
    /// request has refilled — the budget refills evenly until `reset` (1/s on Hetzner).
    public func wait(now: Date) -> Duration {
        guard remaining <= 0 else { return .zero }
        let untilFull = Double(reset) - now.timeIntervalSince1970
        guard untilFull > 0 else { return .zero }
        let perRequest = untilFull / Double(max(1, limit - remaining))
        return .milliseconds(Int64((min(untilFull, max(perRequest, 0.05)) * 1000).rounded(.up)))
    }
}
