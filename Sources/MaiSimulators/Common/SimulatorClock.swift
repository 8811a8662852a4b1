import Foundation

/// The simulators' view of time: the wall clock (timestamps, generation visibility) and a sleep
/// (pacing). Injected so tests can move the wall clock without waiting.
public struct SimulatorClock: Sendable {
    private let read: @Sendable () -> Date
    private let doSleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.read = now
        self.doSleep = sleep
    }

    /// The system clock and `Task.sleep`.
    public static let system = SimulatorClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })

    /// The current wall-clock time.
    public var now: Date { read() }

    /// Sleeps for `duration` (returns at once for zero or less); throws `CancellationError` when
    /// the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return }
        try await doSleep(duration)
    }
}
