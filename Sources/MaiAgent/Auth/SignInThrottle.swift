import Synchronization

/// Slows down password guessing without letting anyone lock an account out for good.
///
/// Three counters of failed sign-ins, each forgetting after `window` seconds without failures:
/// - one e-mail from one address: after `pairAllowance` failures, each further failure locks that
///   pair for twice as long as the last (from `baseLockout`, at most `maxLockout`);
/// - one address, any e-mail: after `addressAllowance` failures the address is locked the same way;
/// - one e-mail, any address: after `emailAllowance` failures the e-mail is locked — but **not** for
///   addresses that have signed in to it successfully before, so an attacker spraying guesses from
///   elsewhere cannot keep the owner out.
/// Attempts refused while locked are not counted, so a lock always ends `maxLockout` after the
/// last counted failure at the latest.
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
        var knownGood: Set<String> = []
    }

    let policy: Policy
    private let state = Mutex(State())

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Seconds until `email` may try again from `address`, or `nil` when it may try now.
    public func retryAfter(email: String, address: String, now: Int64) -> Int64? {
        state.withLock { state in
            var keys = [Self.pairKey(email, address), Self.addressKey(address)]
            if !state.knownGood.contains(Self.pairKey(email, address)) { keys.append(Self.emailKey(email)) }
            let wait = keys.compactMap { state.counters[$0] }.map { $0.lockedUntil - now }.max() ?? 0
            return wait > 0 ? wait : nil
        }
    }

    /// Counts a failed sign-in.
    public func recordFailure(email: String, address: String, now: Int64) {
        state.withLock { state in
            if state.counters.count >= policy.maxEntries { Self.prune(&state, now: now, window: policy.window) }
            Self.count(&state, Self.pairKey(email, address), allowance: policy.pairAllowance, now: now, policy: policy)
            Self.count(&state, Self.addressKey(address), allowance: policy.addressAllowance, now: now, policy: policy)
            Self.count(&state, Self.emailKey(email), allowance: policy.emailAllowance, now: now, policy: policy)
        }
    }

    /// Clears the pair's failures and remembers the address as the account's own.
    public func recordSuccess(email: String, address: String) {
        state.withLock { state in
            let key = Self.pairKey(email, address)
            state.counters[key] = nil
            if state.knownGood.count >= policy.maxEntries { state.knownGood.removeAll(keepingCapacity: true) }
            state.knownGood.insert(key)
        }
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
