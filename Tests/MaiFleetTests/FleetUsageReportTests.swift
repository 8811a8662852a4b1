import Foundation
import MaiCore
import Testing

@testable import MaiFleet

@Suite("Fleet usage report")
struct FleetUsageReportTests {
    struct Unreachable: Error, CustomStringConvertible {
        var description: String { "ssh: connection refused" }
    }

    static func totals(_ requests: Int, raw: Int64, price: Int64) -> UsageTotals {
        UsageTotals(requests: requests, promptTokens: requests * 10, completionTokens: requests * 20, rawCost: Money(nanos: raw),
                    price: Money(nanos: price), provisional: 0, confirmed: requests, unverified: 0, estimated: 0)
    }

    static func report(_ instance: String, group: String, rows: [(String, UsageTotals)]) -> AdminUsageReport {
        var sum = UsageTotals.zero
        for (_, totals) in rows { sum.add(totals) }
        return AdminUsageReport(instance: instance, from: "2026-11-01", to: "2026-11-30", groupBy: group,
                                rows: rows.map { .init(key: $0.0, label: $0.0, totals: $0.1) }, totals: sum)
    }

    static var answers: [(client: String, result: Result<[AdminUsageReport], any Error>)] {
        [
            ("acme", .success([
                report("acme", group: "day", rows: [("2026-11-01", totals(2, raw: 1_000, price: 1_300)), ("2026-11-02", totals(1, raw: 7, price: 9))]),
                report("acme", group: "model", rows: [("openai/gpt-4o-mini", totals(3, raw: 1_007, price: 1_309))]),
            ])),
            ("globex", .success([
                report("globex", group: "day", rows: [("2026-11-02", totals(5, raw: 333_333, price: 433_333))]),
                report("globex", group: "model", rows: [("openai/gpt-4o-mini", totals(4, raw: 333_000, price: 432_900)), ("anthropic/claude", totals(1, raw: 333, price: 433))]),
            ])),
            ("initech", .failure(Unreachable())),
        ]
    }

    @Test("by client: one row per answering client, exact totals, the silent one listed as missing")
    func byClient() throws {
        let report = FleetUsageReport(from: "2026-11-01", to: "2026-11-30", grouping: .client, answers: Self.answers)
        #expect(report.rows.map(\.key) == ["acme", "globex"])
        #expect(report.totals.rawCost.nanos == 1_007 + 333_333)
        #expect(report.totals.price.nanos == 1_309 + 433_333)
        #expect(report.rows.reduce(Money.zero) { $0 + $1.totals.price } == report.totals.price)
        #expect(report.missing == [.init(client: "initech", reason: "ssh: connection refused")])
        let table = report.table()
        #expect(table.contains("MISSING initech: ssh: connection refused"))
        #expect(table.contains("TOTAL"))
        let csv = report.csv()
        #expect(csv.contains("initech,initech,,,,,,,,,missing: ssh: connection refused"))
        #expect(csv.contains("TOTAL,,8,80,160,0.000334,1.3000,0.000435,0,0,partial"))
        let json = try report.json()
        #expect(json.contains(#""complete" : false"#))
        #expect(json.contains(#""raw_cost" : "0.00033434""#))
    }

    @Test("by model: the same model on two clients is one row")
    func byModel() {
        let report = FleetUsageReport(from: "2026-11-01", to: "2026-11-30", grouping: .model, answers: Self.answers)
        #expect(report.rows.map(\.key) == ["openai/gpt-4o-mini", "anthropic/claude"])
        #expect(report.rows[0].totals.requests == 7)
        #expect(report.totals.rawCost.nanos == 1_007 + 333_333)
    }

    @Test("the markup column is price over raw; the HTML report is self-contained, escaped and charted")
    func markupAndHTML() {
        #expect(FleetUsageReport.effectiveMarkup(Self.totals(1, raw: 1_000, price: 1_300)) == "1.3000")
        #expect(FleetUsageReport.effectiveMarkup(.zero) == "—")
        var answers = Self.answers
        answers[0].client = "acme<script>"
        let html = FleetUsageReport(from: "2026-11-01", to: "2026-11-30", grouping: .client, answers: answers).html(title: "November <b>")
        #expect(!html.contains("<script>") && html.contains("acme&lt;script&gt;") && html.contains("November &lt;b&gt;"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(!html.contains("src=") && !html.contains("href="))
    }
}
