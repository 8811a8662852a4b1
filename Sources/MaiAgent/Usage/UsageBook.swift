import Foundation
import GRDB
import MaiCore

/// Reads the books: totals and reports over the daily roll-ups (never over the detail rows, so a
/// month's report is a few thousand rows whatever the traffic), raw cost and client price side by side.
///
/// Rounding, one rule for every view: every amount is exact in nano-dollars. The price of one cell
/// of the roll-up (a day, an employee, a model) is `raw × that day's markup`, rounded half-up to the
/// nano-dollar once; every report row and total is an exact sum of those cells, so the day, employee
/// and model views of a period have the same exact total. `Report.shown` rounds each row and the
/// total (the exact total, not the sum of rounded rows) once, half-up to 6 decimals, so every view
/// of a period shows the same total to the last digit; machines (the fleet admin API) get the exact
/// amounts.
struct UsageBook: Sendable {
    let pool: DatabasePool

    /// What a report row groups by.
    enum Grouping: String, Sendable, CaseIterable {
        case day, user, model
    }

    /// One row of a report, or its totals: MaiCore's `UsageTotals` under a key.
    struct Line: Sendable, Equatable {
        var key: String
        var totals: UsageTotals

        init(key: String, requests: Int = 0, promptTokens: Int = 0, completionTokens: Int = 0, raw: Money = .zero, price: Money = .zero,
             provisional: Int = 0, confirmed: Int = 0, unverified: Int = 0, estimated: Int = 0) {
            self.key = key
            self.totals = UsageTotals(requests: requests, promptTokens: promptTokens, completionTokens: completionTokens, rawCost: raw,
                                      price: price, provisional: provisional, confirmed: confirmed, unverified: unverified, estimated: estimated)
        }

        var requests: Int { totals.requests }
        var promptTokens: Int { totals.promptTokens }
        var completionTokens: Int { totals.completionTokens }
        var raw: Money {
            get { totals.rawCost }
            set { totals.rawCost = newValue }
        }
        var price: Money {
            get { totals.price }
            set { totals.price = newValue }
        }
        var provisional: Int { totals.provisional }
        var confirmed: Int { totals.confirmed }
        var unverified: Int { totals.unverified }
        var estimated: Int { totals.estimated }

        mutating func add(_ other: Line) {
            totals.add(other.totals)
        }

        /// The same line with amounts rounded to the micro-dollar, as shown.
        var shown: Line {
            var line = self
            line.raw = Self.micro(raw)
            line.price = Self.micro(price)
            return line
        }

        static func micro(_ money: Money) -> Money {
            Money(decimal: money.formatted(decimals: 6)) ?? money
        }
    }

    struct Report: Sendable, Equatable {
        /// Exact amounts.
        var rows: [Line]
        /// Exact sum of the rows.
        var totals: Line

        /// As shown to people: each row and the exact total rounded once to 6 decimals.
        var shown: Report {
            Report(rows: rows.map(\.shown), totals: totals.shown)
        }
    }

    /// Usage from `from` to `to` (inclusive, `YYYY-MM-DD`, UTC days), grouped; only `userID`'s when given.
    func report(from: String, to: String, groupBy: Grouping, userID: String? = nil) async throws -> Report {
        try await pool.read { db in try Self.report(db, from: from, to: to, groupBy: groupBy, userID: userID) }
    }

    static func report(_ db: Database, from: String, to: String, groupBy: Grouping, userID: String?) throws -> Report {
        let column = switch groupBy {
        case .day: "usage_daily.day"
        case .user: "usage_daily.user_id"
        case .model: "usage_daily.model"
        }
        var sql = """
            SELECT \(column) AS key, usage_daily.day AS day, COALESCE(usage_days.markup_rate, '1.3') AS markup,
                   requests, prompt_tokens, completion_tokens, cost_nanos,
                   provisional, confirmed, unverified, estimated
            FROM usage_daily LEFT JOIN usage_days ON usage_days.day = usage_daily.day
            WHERE usage_daily.day BETWEEN ? AND ?
            """
        var arguments: StatementArguments = [from, to]
        if let userID {
            sql += " AND usage_daily.user_id = ?"
            arguments += [userID]
        }
        // Cell by cell: each cell's price is rounded once, whatever the grouping.
        var lines: [String: Line] = [:]
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() {
            let key: String = row[0]
            let rate = MarkupRate(decimal: row[2]) ?? .standard
            let raw = Money(nanos: row[6])
            var line = Line(key: key, requests: row[3], promptTokens: row[4], completionTokens: row[5], raw: raw, price: rate.price(raw),
                            provisional: row[7], confirmed: row[8], unverified: row[9], estimated: row[10])
            if let existing = lines[key] {
                line.add(existing)
            }
            lines[key] = line
        }
        let rows = lines.values.sorted { groupBy == .day ? $0.key < $1.key : ($0.raw, $1.key) > ($1.raw, $0.key) }
        var totals = Line(key: "total")
        for line in rows { totals.add(line) }
        return Report(rows: rows, totals: totals)
    }

    /// Month-to-date client price (exact nanos) for one user, or the instance when `userID` is nil.
    func monthToDatePrice(userID: String?, now: Date) async throws -> Money {
        let (from, to) = Self.monthBounds(now)
        return try await pool.read { db in
            try Self.report(db, from: from, to: to, groupBy: .day, userID: userID).rows.reduce(Money.zero) { $0 + $1.price }
        }
    }

    /// First and last day (`YYYY-MM-DD`, UTC) of `date`'s month.
    static func monthBounds(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = calendar.dateComponents([.year, .month], from: date)
        let first = calendar.date(from: components)!
        let last = calendar.date(byAdding: DateComponents(month: 1, day: -1), to: first)!
        return (day(first), day(last))
    }

    /// `YYYY-MM-DD` in UTC.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    /// Whether `text` is a valid `YYYY-MM-DD` day.
    static func isDay(_ text: String) -> Bool {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard text.count == 10, let date = formatter.date(from: text) else { return false }
        return formatter.string(from: date) == text
    }
}
