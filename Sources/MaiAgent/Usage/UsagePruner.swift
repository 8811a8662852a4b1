import Foundation
import GRDB

/// Deletes old generation detail rows; roll-ups have no delete trigger, so reports stay the same.
/// Rows that still wait for confirmation (provisional, or unverified and still asked about) are never deleted.
public enum UsagePruner {
    /// What a prune before `day` would do.
    public struct Plan: Sendable, Equatable {
        public var deletable: Int
        public var keptProvisional: Int
    }

    /// Whether `text` is a `YYYY-MM-DD` day.
    public static func isDay(_ text: String) -> Bool { UsageBook.isDay(text) }

    /// Rows whose cost may still change: provisional, or unverified and still asked about.
    static let awaited = "(status = 'provisional' OR (status = 'unverified' AND next_attempt_at < 9223372036854775807))"

    static func cutoff(_ day: String) -> Int64 {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return Int64(formatter.date(from: day)?.timeIntervalSince1970 ?? 0)
    }

    static func plan(_ pool: DatabasePool, before day: String) async throws -> Plan {
        let cutoff = cutoff(day)
        return try await pool.read { db in
            Plan(
                deletable: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM generations WHERE created_at < ? AND NOT \(awaited)", arguments: [cutoff]) ?? 0,
                keptProvisional: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM generations WHERE created_at < ? AND \(awaited)", arguments: [cutoff]) ?? 0
            )
        }
    }

    static func prune(_ pool: DatabasePool, before day: String) async throws -> Int {
        let cutoff = cutoff(day)
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM generations WHERE created_at < ? AND NOT \(awaited)", arguments: [cutoff])
            return db.changesCount
        }
    }
}

extension AgentServices {
    /// One confirmation pass (the CLI's `usage sync`).
    public func confirmUsageNow() async throws -> (confirmed: Int, notReady: Int, failed: Int, unverified: Int, remaining: Int, rateLimited: Bool) {
        let result = try await confirmations.runOnce()
        return (result.confirmed, result.notReady, result.failed, result.unverified, result.remaining, result.rateLimited)
    }

    public func usagePrunePlan(before day: String) async throws -> UsagePruner.Plan {
        try await UsagePruner.plan(database.pool, before: day)
    }

    public func pruneUsage(before day: String) async throws -> Int {
        try await UsagePruner.prune(database.pool, before: day)
    }
}
