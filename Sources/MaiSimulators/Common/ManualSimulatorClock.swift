import Foundation
import Synchronization

/// A wall clock that moves only when told to, for tests. Its sleeps are real (`Task.sleep`), so
/// pacing still works; only timestamps and generation visibility follow the manual time.
public final class ManualSimulatorClock: Sendable {
    private let current: Mutex<Date>

    public init(start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        self.current = Mutex(start)
    }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The current manual time.
    public var now: Date { current.withLock { $0 } }

    /// A `SimulatorClock` reading this manual time.
    public var clock: SimulatorClock {
        SimulatorClock(now: { [self] in now }, sleep: { try await Task.sleep(for: $0) })
    }
}
