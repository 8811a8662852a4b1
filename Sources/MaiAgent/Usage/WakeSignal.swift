import Synchronization

/// Wakes a background loop early. A signal sent while nobody waits is kept (once) for the next wait.
///
/// Unlike an `AsyncStream` iterated in a child task, nothing here ends when a wait is cancelled: an
/// `AsyncStream` finishes for good when the task iterating it is cancelled, after which every later
/// wait would return at once and the loop would spin (the idle agent burned a core that way).
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Wakes every current waiter, or the next one to wait when nobody waits now.
    func signal() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.waiters.isEmpty {
                state.pending = true
                return []
            }
            let all = Array(state.waiters.values)
            state.waiters.removeAll()
            return all
        }
        for continuation in woken { continuation.resume() }
    }

    /// Waits for a signal; returns at once when one is pending, or when the task is cancelled.
    func wait() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        if !Task.isCancelled { state.pending = false }
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Waits for a signal or until `sleep` returns, whichever comes first. `sleep` is what the
    /// timer is (a `Task.sleep` in production; a test hands in its own).
    /// - Returns: true when a signal ended the wait.
    @discardableResult
    func wait(orUntil sleep: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await sleep()
                return false
            }
            group.addTask {
                await self.wait()
                return !Task.isCancelled
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Waits for a signal or `duration`, whichever comes first.
    @discardableResult
    func wait(for duration: Duration) async -> Bool {
        await wait(orUntil: { try? await Task.sleep(for: duration) })
    }

    /// Waiters right now (for tests).
    var waiting: Int { state.withLock { $0.waiters.count } }
}
