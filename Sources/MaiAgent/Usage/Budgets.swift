import Foundation
import GRDB
import MaiCore

/// Monthly spending limits (client price), per employee and for the whole instance.
struct Budgets: Sendable {
    let pool: DatabasePool
    let book: UsageBook

    /// Key of the instance-wide limit in `budgets`.
    static let instance = ""

    /// Limits by user id (`""` = the instance).
    func all() async throws -> [String: Money] {
        try await pool.read { db in
            var limits: [String: Money] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT user_id, monthly_limit_nanos FROM budgets") {
                limits[row[0]] = Money(nanos: row[1])
            }
            return limits
        }
    }

    /// Sets (or, with `nil`, removes) a limit.
    func set(userID: String, limit: Money?, now: Int64) async throws {
        try await pool.write { db in
            if let limit {
                try db.execute(sql: """
                    INSERT INTO budgets (user_id, monthly_limit_nanos, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (user_id) DO UPDATE SET monthly_limit_nanos = excluded.monthly_limit_nanos, updated_at = excluded.updated_at
                    """, arguments: [userID, limit.nanos, now])
            } else {
                try db.execute(sql: "DELETE FROM budgets WHERE user_id = ?", arguments: [userID])
            }
        }
    }

    /// Refuses a new request when the employee or the instance has reached its monthly limit.
    func check(userID: String, now: Date) async throws {
        let limits = try await all()
        if let limit = limits[Self.instance] {
            let spent = try await book.monthToDatePrice(userID: nil, now: now)
            if spent >= limit {
                throw APIError(.init(code: 402, reasonPhrase: "Payment Required"),
                               "This company's AI budget for the month ($\(limit.humanAmount)) is used up. Ask your administrator to raise it.")
            }
        }
        if let limit = limits[userID] {
            let spent = try await book.monthToDatePrice(userID: userID, now: now)
            if spent >= limit {
                throw APIError(.init(code: 402, reasonPhrase: "Payment Required"),
                               "You have used your AI budget for this month ($\(spent.humanAmount) of $\(limit.humanAmount)). Ask your administrator to raise it.")
            }
        }
    }
}
