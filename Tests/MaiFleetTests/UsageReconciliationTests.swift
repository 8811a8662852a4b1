import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite("Usage reconciliation")
struct UsageReconciliationTests {
    static func totals(_ cost: String, requests: Int) -> UsageTotals {
        UsageTotals(requests: requests, promptTokens: 0, completionTokens: 0, rawCost: Money(decimal: cost)!, price: Money(decimal: cost)!,
                    provisional: 0, confirmed: requests, unverified: 0, estimated: 0)
    }

    static func activity(_ date: String, _ usage: String, requests: Int, model: String = "openai/gpt-4o-mini") -> OpenRouterActivity {
        OpenRouterActivity(date: date, model: model, modelPermaslug: model, endpointId: "e", providerName: "OpenAI", usage: Money(decimal: usage)!,
                           byokUsageInference: .zero, requests: requests, promptTokens: 0, completionTokens: 0, reasoningTokens: 0)
    }

    @Test("covered days are the month's completed days within the last 30")
    func period() throws {
        let period = try #require(ReconciliationPeriod(month: "2026-11", today: "2026-11-26"))
        #expect(period.days.count == 30 && period.days.first == "2026-11-01" && period.days.last == "2026-11-30")
        #expect(period.coveredDays.first == "2026-11-01" && period.coveredDays.last == "2026-11-25")
        let early = try #require(ReconciliationPeriod(month: "2026-10", today: "2026-11-26"))
        #expect(early.coveredDays.first == "2026-10-27" && early.coveredDays.count == 5)
        #expect(ReconciliationPeriod(month: "2026-13", today: "2026-11-26") == nil)
        #expect(ReconciliationPeriod(month: "2026-02", today: "2026-03-01")?.days.count == 28)
    }

    @Test("days are summed over models and keys; only differences over the threshold are flagged, with their day")
    func compare() throws {
        let period = try #require(ReconciliationPeriod(month: "2026-11", today: "2026-11-26"))
        let books = AdminUsageReport(instance: "acme", from: "2026-11-01", to: "2026-11-30", groupBy: "day", rows: [
            .init(key: "2026-11-02", label: "2026-11-02", totals: Self.totals("0.300", requests: 3)),
            .init(key: "2026-11-03", label: "2026-11-03", totals: Self.totals("0.100", requests: 1)),
            .init(key: "2026-11-04", label: "2026-11-04", totals: Self.totals("0.500", requests: 5)),
            .init(key: "2026-11-26", label: "2026-11-26", totals: Self.totals("9", requests: 9)),
        ], totals: Self.totals("9.9", requests: 18))
        let activity = [
            Self.activity("2026-11-02", "0.2", requests: 2), Self.activity("2026-11-02", "0.1", requests: 1, model: "x/y"),  // two models, old + new key
            Self.activity("2026-11-03", "0.105", requests: 1),  // within the threshold
            Self.activity("2026-11-04", "0.4", requests: 4),  // agent booked $0.10 more
            Self.activity("2026-11-05", "0.02", requests: 1),  // agent has nothing that day
        ]
        let result = ClientReconciliation(client: "acme", keyHashes: ["a", "b"], agent: books, activity: activity,
                                          coveredDays: period.coveredDays, monthDays: period.days, threshold: Money(decimal: "0.01")!)
        #expect(result.flaggedDays.map(\.day) == ["2026-11-04", "2026-11-05"])
        #expect(result.flaggedDays.map(\.difference) == [Money(decimal: "0.1")!, Money(decimal: "-0.02")!])
        #expect(result.days.first { $0.day == "2026-11-02" }?.openrouterRequests == 3)
        #expect(result.uncoveredDays.contains("2026-11-26"), "today is not compared")
        #expect(result.agentTotal == Money(decimal: "0.9")! && result.openrouterTotal == Money(decimal: "0.825")!)
        let strict = ClientReconciliation(client: "acme", keyHashes: [], agent: books, activity: activity,
                                          coveredDays: period.coveredDays, monthDays: period.days, threshold: .zero)
        #expect(strict.flaggedDays.map(\.day) == ["2026-11-03", "2026-11-04", "2026-11-05"])
    }

    @Test("key history: hashes that served during a month")
    func history() {
        let day = { (d: Int) in Date(timeIntervalSince1970: TimeInterval(1_793_491_200 + d * 86_400)) }  // 2026-11-01 + d
        let history = KeyHistory(entries: [
            .init(hash: "old", activeFrom: day(-60), retiredAt: day(-20)),
            .init(hash: "mid", activeFrom: day(-20), retiredAt: day(3)),
            .init(hash: "new", activeFrom: day(3)),
        ])
        #expect(history.hashes(servingBetween: day(0), and: day(30)) == ["mid", "new"])
        #expect(history.hashes(servingBetween: day(-31), and: day(0)) == ["old", "mid"])
    }

    @Test("--settle sends each key's covered days only, item by item as OpenRouter recorded them")
    func settlementPlan() throws {
        let activity = [
            "bbbb": [Self.activity("2026-11-24", "0.5", requests: 3), Self.activity("2026-11-26", "9", requests: 9)],
            "aaaa": [Self.activity("2026-11-25", "0.000000123", requests: 1, model: "anthropic/claude-3.5-sonnet")],
            "cccc": [Self.activity("2026-11-26", "1", requests: 1)],
        ]
        let plan = UsageSettlementPlan.requests(activity: activity, coveredDays: ["2026-11-24", "2026-11-25"])
        #expect(plan.map(\.keyHash) == ["aaaa", "bbbb"], "keys with covered activity, in order: \(plan)")
        #expect(plan.last?.items == [AdminSettlementRequest.Item(day: "2026-11-24", model: "openai/gpt-4o-mini", requests: 3, promptTokens: 0,
                                                                   completionTokens: 0, usage: Money(nanos: 500_000_000))], "\(plan)")
        #expect(plan.first?.items.first?.usage == Money(nanos: 123))
    }
}
