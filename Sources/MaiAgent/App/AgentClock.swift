import Foundation
import Synchronization

/// The wall clock, injected so tests can move time (token expiry, throttling) without waiting.
public struct AgentClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    /// The system clock.
    public static let system = AgentClock { Date() }

    public var now: Date { read() }
    /// Now, in whole Unix seconds.
    public var seconds: Int64 { Int64(read().timeIntervalSince1970.rounded(.down)) }
}

/// A clock that moves only when told to: for tests.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_790_000_000)) {
        self.current = Mutex(start)
    }

    public func advance(seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    public var clock: AgentClock {
        AgentClock { [self] in current.withLock { $0 } }
    }
}
