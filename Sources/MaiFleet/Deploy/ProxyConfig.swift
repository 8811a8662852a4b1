import Foundation

/// The Caddy snippet at `/etc/caddy/mai-agent.caddy` (snippet `mai_agent`, which the host's
/// Caddyfile imports in the client's site block, and the admin API's site `127.0.0.1:8081`).
///
/// It is **static**: both slots are always listed, slot a first, and Caddy sends each request to
/// the first slot that has not just failed (`lb_policy first` + passive health `fail_duration`). A
/// deploy therefore never reloads Caddy to switch: Caddy 2.6.2 (Debian bookworm's) cancels the
/// proxied requests in flight when a reload unloads the previous config (they are answered 502
/// "request canceled", never retried — long chat streams included), and now and then panics
/// ("context: internal error: missing cancel error") and exits. Both were measured on this machine
/// (DESIGN.md, "Zero-downtime switch").
///
/// - A slot with nothing listening refuses the connection: Caddy marks it failed for
///   `fail_duration` and retries the other slot at once (`lb_try_interval`), within
///   `lb_try_duration`. A refused connection was never sent a request, so this is safe for every
///   method.
/// - No keep-alive to the upstream: a pooled connection the agent closes at the moment Caddy
///   reuses it would be a 502; a fresh loopback connection per request costs microseconds.
public enum ProxyConfig {
    /// How long Caddy avoids a slot after one failed request (also how long after a slot's last
    /// failure Caddy tries it again: the wait before slot a takes over from slot b).
    public static let failDuration = "2s"

    /// The snippet; the same text on every host, whichever slot serves.
    public static func snippet() -> String {
        """
        # Written by maictl deploy; the same on every host whichever slot serves (DESIGN.md, "Zero-downtime switch").
        # Both slots are always listed: Caddy uses the first that did not just refuse, so a deploy
        # never reloads Caddy (a reload cancels the requests in flight).
        (mai_agent) {
        \treverse_proxy 127.0.0.1:\(Slot.a.publicPort) 127.0.0.1:\(Slot.b.publicPort) {
        \(directives(indent: "\t\t", activeHealth: true))
        \t}
        }
        http://127.0.0.1:\(HostLayout.adminPort) {
        \tbind 127.0.0.1
        \treverse_proxy 127.0.0.1:\(Slot.a.adminPort) 127.0.0.1:\(Slot.b.adminPort) {
        \(directives(indent: "\t\t", activeHealth: false))
        \t}
        }

        """
    }

    /// Between two of Caddy's active health checks of each public slot.
    public static let healthInterval = Duration.milliseconds(500)

    /// Active health checks on the public site: Caddy itself dials the empty slot, so no request
    /// does. (Caddy 2.6.2 cannot retry a request with a body after a failed dial: the first attempt
    /// closed the body, the retry is a 502 "invalid Read on closed Body" — measured on the test
    /// fleet with passive health alone.) The admin site keeps passive health only: its endpoints
    /// need the fleet token, and maictl calls it between deploys.
    private static func directives(indent: String, activeHealth: Bool) -> String {
        var lines = [
            "lb_policy first",
            "lb_try_duration 10s",
            "lb_try_interval 20ms",
            "fail_duration \(failDuration)",
        ]
        if activeHealth {
            lines += ["health_uri /health", "health_interval 500ms", "health_timeout 2s"]
        }
        lines += [
            "flush_interval -1",
            "transport http {",
            "\tkeepalive off",
            "}",
        ]
        return lines.map { indent + $0 }.joined(separator: "\n")
    }

    /// Caddy's admin endpoint listing every upstream with its requests in flight and recent failures.
    public static let upstreamsURL = "http://localhost:2019/reverse_proxy/upstreams"

    /// One entry of `GET /reverse_proxy/upstreams`.
    public struct Upstream: Sendable, Hashable, Decodable {
        public var address: String
        /// Requests Caddy is proxying to it right now.
        public var numRequests: Int
        /// Failures within the last `fail_duration`; Caddy skips it while this is not 0.
        public var fails: Int

        public init(address: String, numRequests: Int, fails: Int) {
            self.address = address
            self.numRequests = numRequests
            self.fails = fails
        }

        enum CodingKeys: String, CodingKey {
            case address
            case numRequests = "num_requests"
            case fails
        }
    }

    /// Parses the admin endpoint's answer; `nil` when it is not that JSON.
    public static func upstreams(_ json: String) -> [Upstream]? {
        try? JSONDecoder().decode([Upstream].self, from: Data(json.utf8))
    }

    /// What Caddy's counters say about moving traffic from `old` to `new` (`old` nil: nothing served).
    public enum SwitchState: Sendable, Hashable {
        /// Caddy lists no upstream for the slot: the Caddyfile does not import this snippet.
        case notProxied(String)
        /// The new slot failed recently: Caddy does not send it requests (yet).
        case newFailing(fails: Int)
        /// Caddy can use the new slot, but the old one still has requests in flight while Caddy
        /// prefers the new slot (they finish there).
        case draining(inFlight: Int)
        /// Caddy can use the new slot; when the new slot is the preferred one (a), nothing is in
        /// flight on the old one any more.
        case ready
    }

    /// Judges one reading of the upstreams for a switch from `old` to `new`.
    public static func switchState(_ upstreams: [Upstream], new: Slot, old: Slot?) -> SwitchState {
        let byAddress = Dictionary(upstreams.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        let newAddresses = ["127.0.0.1:\(new.publicPort)", "127.0.0.1:\(new.adminPort)"]
        var fails = 0
        for address in newAddresses {
            guard let entry = byAddress[address] else { return .notProxied(address) }
            fails += entry.fails
        }
        if fails > 0 { return .newFailing(fails: fails) }
        // Caddy prefers slot a. With the new version there, the old one (slot b) gets no new
        // request once slot a is usable; what it still has in flight finishes first. With the new
        // version in slot b, the old one keeps the traffic until it stops (its stop moves it over).
        if new == .a, let old {
            let inFlight = ["127.0.0.1:\(old.publicPort)", "127.0.0.1:\(old.adminPort)"].compactMap { byAddress[$0]?.numRequests }.reduce(0, +)
            if inFlight > 0 { return .draining(inFlight: inFlight) }
        }
        return .ready
    }
}
