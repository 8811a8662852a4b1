import Synchronization

/// How many of one kind of request may run at once, in total and per person. Beyond either bound
/// the request is answered at once with `refusal` instead of queueing (or holding memory).
final class ConcurrencyGate: Sendable {
    let total: Int
    let perUser: Int
    private let state = Mutex<(running: Int, byUser: [String: Int])>((0, [:]))

    init(total: Int, perUser: Int) {
        self.total = max(1, total)
        self.perUser = max(1, perUser)
    }

    /// Runs `body` if a place is free for `user`; otherwise throws `refusal(mine)`, where `mine`
    /// says whether it was the person's own bound.
    func run<T: Sendable>(user: String, refusal: (_ mine: Bool) -> APIError, _ body: () async throws -> T) async throws -> T {
        let admitted: Bool? = state.withLock { state in
            let own = state.byUser[user, default: 0]
            if own >= perUser { return false }
            if state.running >= total { return nil }
            state.running += 1
            state.byUser[user] = own + 1
            return true
        }
        switch admitted {
        case true?: break
        case false?: throw refusal(true)
        case nil: throw refusal(false)
        }
        defer {
            state.withLock { state in
                state.running -= 1
                let left = state.byUser[user, default: 1] - 1
                state.byUser[user] = left > 0 ? left : nil
            }
        }
        return try await body()
    }
}
