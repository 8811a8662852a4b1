import Foundation
import GRDB
import Testing

@testable import MaiAgent

/// Idle means idle: the confirmation loop sleeps between runs, and its wake-up can never end.
@Suite("Idle loops")
struct IdleTests {
    /// Returns as soon as `condition` holds; the generous bound is for a machine busy with builds.
    static func eventually(_ what: String, seconds: Double = 120, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out after \(seconds) s waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("a wake-up signal survives waits that ended by their timer (it can never end)")
    func wakeSignalNeverEnds() async throws {
        let signal = WakeSignal()
        // Waits that end by their timer cancel their signal side: that must not end anything.
        for round in 0..<5 {
            let woken = await signal.wait(orUntil: {})
            #expect(!woken, "round \(round): the timer ended the wait, not a signal")
        }
        // A wait whose timer never fires blocks until a signal: it registers as waiting and stays.
        let waiter = Task { await signal.wait(orUntil: { try? await Task.sleep(for: .seconds(3600)) }) }
        try await Self.eventually("the wait to block (with an ended wake-up stream it returns at once)") { signal.waiting == 1 }
        signal.signal()
        #expect(await waiter.value == true, "a signal ends the wait")
        // A signal sent while nobody waits is kept for the next wait, once.
        signal.signal()
        #expect(await signal.wait(orUntil: { try? await Task.sleep(for: .seconds(3600)) }) == true)
        #expect(await signal.wait(orUntil: {}) == false, "the kept signal was used up")
        // A cancelled wait returns and leaves nobody registered.
        let cancelled = Task { await signal.wait(orUntil: { try? await Task.sleep(for: .seconds(3600)) }) }
        try await Self.eventually("the second wait to block") { signal.waiting == 1 }
        cancelled.cancel()
        _ = await cancelled.value
        #expect(signal.waiting == 0)
    }

    @Test("the confirmation loop runs once per interval, or when nudged, and never spins")
    func confirmationLoopSleeps() async throws {
        let agent = try await TestAgent(environment: ["USAGE_SYNC_INTERVAL": "3600"])
        let service = agent.services.confirmations
        let loop = Task { try await service.run() }
        defer { loop.cancel() }
        try await Self.eventually("the first run") { service.runCount >= 1 }
        service.nudge()
        try await Self.eventually("the nudged run") { service.runCount >= 2 }
        service.nudge()
        try await Self.eventually("a second nudged run") { service.runCount >= 3 }
        // Nothing is due now and nobody nudges: the loop sleeps out its hour.
        let settled = service.runCount
        try await Task.sleep(for: .milliseconds(300))
        #expect(service.runCount == settled, "runs while idle: \(service.runCount - settled) in 0.3 s")
        // An idle run writes nothing: no USAGE_LAST_RUN row without work.
        let stored = try await agent.services.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'USAGE_LAST_RUN'")
        }
        #expect(stored == nil, "an idle run wrote \(stored ?? "")")
        #expect(service.lastRun != nil, "the last run is known in memory for health checks")
    }
}
