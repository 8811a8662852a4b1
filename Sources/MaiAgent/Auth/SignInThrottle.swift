import Synchronization

/// Slows down password guessing without letting anyone lock an account out for good.
///
/// Three counters of failed sign-ins, each forgetting after `window` seconds without failures:
/// - one e-mail from one address: after `pairAllowance` failures, each further failure locks that
///   pair for twice as long as the last (from `baseLockout`, at most `maxLockout`);
/// - one address, any e-mail: after `addressAllowance` failures the address is locked the same way;
/// - one e-mail, any address: after `emailAllowance` failures the e-mail is locked — but **not** for
///   addresses that have signed in to it successfully before (the caller asks the database: the
///   account's sessions keep their address, so this survives a restart), so an attacker spraying
///   guesses from elsewhere cannot keep the owner out.
/// An admitted attempt counts as a failure at once, before its bcrypt check runs, and a success
/// takes it back: concurrent guesses see each other (25 at once once got 24 wrong answers checked
/// past a limit of 5). Attempts refused while locked are not counted, so a lock always ends
/// `maxLockout` after the last counted failure at the latest.
public final class SignInThrottle: Sendable {
    public struct Policy: Sendable {
        public var pairAllowance = 5
        public var addressAllowance = 30
        public var emailAllowance = 10
        public var baseLockout: Int64 = 30
        public var maxLockout: Int64 = 900
        public var window: Int64 = 900
        public var maxEntries = 100_000

        public init() {}
    }

    struct Counter {
        var failures = 0
        var lastFailure: Int64 = 0
        var lockedUntil: Int64 = 0
    }

    struct State {
        var counters: [String: Counter] = [:]
    }

    let policy: Policy
    private let state = Mutex(State())

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Seconds until `email` may try again from `address`, or `nil` when it may try now.
    /// `knownAddress`: the account has signed in from `address` before (the e-mail's lock does not apply).
    public func retryAfter(email: String, address: String, knownAddress: Bool = false, now: Int64) -> Int64? {
        state.withLock { state in Self.wait(state, keys: keys(email, address, knownAddress), now: now) }
    }

    /// Admits an attempt, counting it at once as a failure (in flight) so concurrent attempts see
    /// it; returns the seconds to wait instead when a lock applies (then nothing is counted).
    /// A success gives the count back (`recordSuccess`).
    public func admit(email: String, address: String, knownAddress: Bool, now: Int64) -> Int64? {
        state.withLock { state in
            if let wait = Self.wait(state, keys: keys(email, address, knownAddress), now: now) { return wait }
            Self.countFailure(&state, email: email, address: address, now: now, policy: policy)
            return nil
        }
    }

    /// Counts a failed sign-in (one not counted by `admit`).
    public func recordFailure(email: String, address: String, now: Int64) {
        state.withLock { state in Self.countFailure(&state, email: email, address: address, now: now, policy: policy) }
    }

    /// A successful sign-in: clears the pair and takes back the attempt `admit` counted against the
    /// address and the e-mail.
    public func recordSuccess(email: String, address: String) {
        state.withLock { state in
            state.counters[Self.pairKey(email, address)] = nil
            Self.takeBack(&state, [Self.addressKey(address), Self.emailKey(email)])
        }
    }

    /// Takes back an admitted attempt that was never checked (the server was too busy to).
    public func cancel(email: String, address: String) {
        state.withLock { state in Self.takeBack(&state, [Self.pairKey(email, address), Self.addressKey(address), Self.emailKey(email)]) }
    }

    /// One counted attempt fewer on each of `keys`.
    private static func takeBack(_ state: inout State, _ keys: [String]) {
        for key in keys {
            guard var counter = state.counters[key] else { continue }
            counter.failures = max(0, counter.failures - 1)
            state.counters[key] = counter
        }
    }

    private func keys(_ email: String, _ address: String, _ knownAddress: Bool) -> [String] {
        knownAddress ? [Self.pairKey(email, address), Self.addressKey(address)]
            : [Self.pairKey(email, address), Self.addressKey(address), Self.emailKey(email)]
    }

    private static func wait(_ state: State, keys: [String], now: Int64) -> Int64? {
        let wait = keys.compactMap { state.counters[$0] }.map { $0.lockedUntil - now }.max() ?? 0
        return wait > 0 ? wait : nil
    }

    private static func countFailure(_ state: inout State, email: String, address: String, now: Int64, policy: Policy) {
        if state.counters.count >= policy.maxEntries { prune(&state, now: now, window: policy.window) }
        count(&state, pairKey(email, address), allowance: policy.pairAllowance, now: now, policy: policy)
        count(&state, addressKey(address), allowance: policy.addressAllowance, now: now, policy: policy)
        count(&state, emailKey(email), allowance: policy.emailAllowance, now: now, policy: policy)
    }

    /// Forgets everything about `email` (an admin reset its password).
    public func forget(email: String) {
        state.withLock { state in
            state.counters = state.counters.filter { !$0.key.hasPrefix("p|\(email)|") && $0.key != Self.emailKey(email) }
        }
    }

    private static func count(_ state: inout State, _ key: String, allowance: Int, now: Int64, policy: Policy) {
        var counter = state.counters[key] ?? Counter()
        if counter.lockedUntil <= now, now - counter.lastFailure > policy.window { counter = Counter() }
        counter.failures += 1
        counter.lastFailure = now
        let over = counter.failures - allowance
        if over > 0 {
            let lockout = min(policy.maxLockout, policy.baseLockout << min(over - 1, 20))
            counter.lockedUntil = now + lockout
        }
        state.counters[key] = counter
    }

    private static func prune(_ state: inout State, now: Int64, window: Int64) {
        state.counters = state.counters.filter { $0.value.lockedUntil > now || now - $0.value.lastFailure <= window }
    }

    static func pairKey(_ email: String, _ address: String) -> String { "p|\(email)|\(address)" }
    static func addressKey(_ address: String) -> String { "a|\(address)" }
    static func emailKey(_ email: String) -> String { "e|\(email)" }
}
