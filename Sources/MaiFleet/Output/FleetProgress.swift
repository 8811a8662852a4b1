import Foundation
import MaiCore
import Synchronization

/// A one-line progress counter for fleet-wide commands, on stderr and only on a terminal: under
/// cron or in a pipe it writes nothing, so logs get the results and messages only.
///
///     let progress = FleetProgress(total: instances.count, action: "health")
///     … try await progress.track(instance.slug) { … }
///     progress.end()
public final class FleetProgress: Sendable {
    public let total: Int
    public let action: String
    public let enabled: Bool
    private let write: @Sendable (String) -> Void
    private let state = Mutex<(done: Int, failed: Int)>((0, 0))

    /// `enabled` defaults to whether stderr is a terminal (and `TERM` is not `dumb`).
    public init(total: Int, action: String, enabled: Bool = FleetProgress.stderrIsTerminal(),
                write: @escaping @Sendable (String) -> Void = { StandardError.write($0) }) {
        self.total = total
        self.action = action
        self.enabled = enabled && total > 0
        self.write = write
    }

    public static func stderrIsTerminal(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
    }

    /// Runs `operation` and counts it as done (or failed) when it returns.
    public func track<Value>(_ label: String, _ operation: () async throws -> Value) async rethrows -> Value {
        do {
            let value = try await operation()
            finished(label, ok: true)
            return value
        } catch {
            finished(label, ok: false)
            throw error
        }
    }

    /// Counts one instance as finished and redraws the line.
    public func finished(_ label: String, ok: Bool) {
        let (done, failed) = state.withLock { state -> (Int, Int) in
            state.done += 1
            if !ok { state.failed += 1 }
            return (state.done, state.failed)
        }
        guard enabled else { return }
        write("\r\u{1B}[2K" + Self.line(action: action, done: done, total: total, failed: failed, last: label, ok: ok))
    }

    /// Clears the line (call before printing results).
    public func end() {
        guard enabled else { return }
        write("\r\u{1B}[2K")
    }

    /// The text of the line (pure).
    public static func line(action: String, done: Int, total: Int, failed: Int, last: String, ok: Bool) -> String {
        let width = String(total).count
        let count = String(repeating: " ", count: max(0, width - String(done).count)) + "\(done)/\(total)"
        return "maictl \(action): \(count) done" + (failed > 0 ? ", \(failed) failed" : "") + " — \(last) \(ok ? "ok" : "FAILED")"
    }
}
