import Synchronization

/// Completions streaming right now, per OpenRouter key hash. A key rotation waits for the old key's
/// count to reach zero (and its provisional rows to be confirmed) before the key is disabled: a
/// request planned with the old key has no `generations` row until OpenRouter names it.
final class InFlightCompletions: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    /// Counts one completion under `hash` until the lease ends (or is released).
    func begin(hash: String) -> Lease {
        counts.withLock { $0[hash, default: 0] += 1 }
        return Lease(owner: self, hash: hash)
    }

    /// Completions streaming with the key `hash`.
    func count(hash: String) -> Int {
        counts.withLock { $0[hash] ?? 0 }
    }

    /// Every key with completions streaming.
    var snapshot: [String: Int] {
        counts.withLock { $0 }
    }

    fileprivate func end(hash: String) {
        counts.withLock { counts in
            let left = (counts[hash] ?? 1) - 1
            counts[hash] = left > 0 ? left : nil
        }
    }

    /// One counted completion; ends once, explicitly or when the last reference goes (a request
    /// abandoned before its relay ran still stops counting).
    final class Lease: Sendable {
        private let owner: InFlightCompletions
        private let hash: String
        private let ended = Mutex(false)

        fileprivate init(owner: InFlightCompletions, hash: String) {
            self.owner = owner
            self.hash = hash
        }

        func end() {
            let first = ended.withLock { done -> Bool in
                if done { return false }
                done = true
                return true
            }
            if first { owner.end(hash: hash) }
        }

        deinit { end() }
    }
}
