import Foundation
import MaiCore

/// One client's books (the agent's `GET /admin/v1/usage` by day, raw cost) against OpenRouter's
/// own record (`GET /activity` for each key hash the client used that month), day by day.
public struct ClientReconciliation: Sendable, Equatable, Encodable {
    public struct Day: Sendable, Equatable, Encodable {
        public var day: String
        public var agent: Money
        public var agentRequests: Int
        public var openrouter: Money
        public var openrouterRequests: Int
        /// Agent minus OpenRouter.
        public var difference: Money
        public var flagged: Bool
    }

    public var client: String
    public var keyHashes: [String]
    /// Days both sides can speak for (completed UTC days within OpenRouter's 30-day window).
    public var days: [Day]
    /// Days of the month OpenRouter's `/activity` cannot cover (today, the future, older than 30 days).
    public var uncoveredDays: [String]
    public var agentTotal: Money
    public var openrouterTotal: Money
    public var difference: Money

    /// The days flagged.
    public var flaggedDays: [Day] { days.filter(\.flagged) }

    /// Compares per day: a day is flagged when |agent − OpenRouter| exceeds `threshold`, or when the
    /// two count a different number of requests (a request the agent never named, or never booked).
    public init(client: String, keyHashes: [String], agent: AdminUsageReport, activity: [OpenRouterActivity],
                coveredDays: [String], monthDays: [String], threshold: Money) {
        self.client = client
        self.keyHashes = keyHashes
        var agentByDay: [String: (Money, Int)] = [:]
        for row in agent.rows { agentByDay[row.key] = (row.totals.rawCost, row.totals.requests) }
        var openrouterByDay: [String: (Money, Int)] = [:]
        for item in activity {
            let (cost, requests) = openrouterByDay[item.date] ?? (.zero, 0)
            openrouterByDay[item.date] = (cost + item.usage, requests + item.requests)
        }
        let covered = Set(coveredDays)
        days = monthDays.filter(covered.contains).map { day in
            let (mine, myRequests) = agentByDay[day] ?? (.zero, 0)
            let (theirs, theirRequests) = openrouterByDay[day] ?? (.zero, 0)
            let difference = mine - theirs
            return Day(day: day, agent: mine, agentRequests: myRequests, openrouter: theirs, openrouterRequests: theirRequests,
                       difference: difference, flagged: difference.nanos.magnitude > threshold.nanos.magnitude || myRequests != theirRequests)
        }
        uncoveredDays = monthDays.filter { !covered.contains($0) }
        agentTotal = days.reduce(Money.zero) { $0 + $1.agent }
        openrouterTotal = days.reduce(Money.zero) { $0 + $1.openrouter }
        difference = agentTotal - openrouterTotal
    }

    enum CodingKeys: String, CodingKey {
        case client, keyHashes, days, uncoveredDays, agentTotal, openrouterTotal, difference
    }
}

/// The days of a month and which of them `/activity` covers on `today`.
public struct ReconciliationPeriod: Sendable, Equatable {
    public var month: String
    public var days: [String]
    public var coveredDays: [String]

    /// `month` is `YYYY-MM`; `today` is the UTC day taken as today (`/activity` holds the 30 completed
    /// days before it). `nil` for a malformed month.
    public init?(month: String, today: String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard let first = formatter.date(from: month + "-01"), formatter.string(from: first) == month + "-01",
              let todayDate = formatter.date(from: today), formatter.string(from: todayDate) == today,
              let range = calendar.range(of: .day, in: .month, for: first)
        else { return nil }
        self.month = month
        days = range.map { formatter.string(from: calendar.date(byAdding: .day, value: $0 - 1, to: first)!) }
        let earliest = formatter.string(from: calendar.date(byAdding: .day, value: -30, to: todayDate)!)
        coveredDays = days.filter { $0 >= earliest && $0 < today }
    }
}

/// `maictl usage reconcile --settle`: OpenRouter's activity record, per key, as the settlement the
/// agent applies to the requests OpenRouter never named. Only the days `/activity` covers.
public enum UsageSettlementPlan {
    /// One settlement per key hash that has activity on a covered day.
    public static func requests(activity: [String: [OpenRouterActivity]], coveredDays: [String]) -> [AdminSettlementRequest] {
        let covered = Set(coveredDays)
        return activity.keys.sorted().compactMap { hash in
            let items = (activity[hash] ?? []).filter { covered.contains($0.date) }.map {
                AdminSettlementRequest.Item(day: $0.date, model: $0.model, requests: $0.requests, promptTokens: $0.promptTokens,
                                            completionTokens: $0.completionTokens, usage: $0.usage)
            }
            return items.isEmpty ? nil : AdminSettlementRequest(keyHash: hash, items: items)
        }
    }
}
