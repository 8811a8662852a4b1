import Foundation
import MaiCore

extension FleetUsageReport {
    static let headers = ["requests", "prompt_tokens", "completion_tokens", "raw_cost_usd", "markup", "price_usd", "unverified", "estimated"]

    static func cells(_ totals: UsageTotals) -> [String] {
        [String(totals.requests), String(totals.promptTokens), String(totals.completionTokens), totals.rawCost.formatted(decimals: 6),
         effectiveMarkup(totals), totals.price.formatted(decimals: 6), String(totals.unverified), String(totals.estimated)]
    }

    /// Aligned text for people; missing instances listed after the totals.
    public func table() -> String {
        var table = Table(columns: [Table.Column(grouping.rawValue)] + Self.headers.map { Table.Column($0, alignment: .right) })
        for row in rows { table.append([row.label] + Self.cells(row.totals)) }
        table.append(["TOTAL"] + Self.cells(totals))
        var text = table.render()
        for gap in missing { text += "MISSING \(gap.client): \(gap.reason)\n" }
        return text
    }

    /// RFC 4180 CSV; a `missing` row per instance that did not answer (amounts empty, not zero).
    public func csv() -> String {
        var lines = [([grouping.rawValue, "client"] + Self.headers + ["status"]).joined(separator: ",")]
        for row in rows { lines.append(([row.label, row.client] + Self.cells(row.totals) + ["ok"]).map(CSV.cell).joined(separator: ",")) }
        lines.append((["TOTAL", ""] + Self.cells(totals) + [missing.isEmpty ? "ok" : "partial"]).map(CSV.cell).joined(separator: ","))
        for gap in missing {
            lines.append(([gap.client, gap.client] + Array(repeating: "", count: Self.headers.count) + ["missing: \(gap.reason)"]).map(CSV.cell).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    struct JSONReport: Encodable {
        struct Row: Encodable {
            var key: String
            var client: String
            var label: String
            var totals: UsageTotals
            var markup: String
        }
        struct Gap: Encodable {
            var client: String
            var reason: String
        }
        var from: String
        var to: String
        var groupBy: String
        var rows: [Row]
        var totals: UsageTotals
        var complete: Bool
        var missing: [Gap]
    }

    /// Snake_case JSON with exact money strings.
    public func json() throws -> String {
        let report = JSONReport(
            from: from, to: to, groupBy: grouping.rawValue,
            rows: rows.map { .init(key: $0.key, client: $0.client, label: $0.label, totals: $0.totals, markup: Self.effectiveMarkup($0.totals)) },
            totals: totals, complete: missing.isEmpty, missing: missing.map { .init(client: $0.client, reason: $0.reason) }
        )
        let encoder = AdminAPI.encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    /// One self-contained HTML file (inline CSS, inline SVG charts, no scripts) an operator can send:
    /// the fleet table, then per client its totals and a daily price chart.
    public func html(title: String) -> String {
        func esc(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(esc(title))</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2937}table{border-collapse:collapse;margin:1rem 0}
            th,td{padding:.3rem .6rem;border-bottom:1px solid #e5e7eb;text-align:right}th:first-child,td:first-child{text-align:left}
            tfoot td{font-weight:600}.missing{color:#b91c1c}svg{display:block;margin:.5rem 0 2rem}</style></head><body>
            <h1>\(esc(title))</h1><p>\(esc(from)) to \(esc(to)), amounts in USD.</p>
            """
        html += "<table><thead><tr><th>\(esc(grouping.rawValue))</th>" + Self.headers.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows { html += "<tr><td>\(esc(row.label))</td>" + Self.cells(row.totals).map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }
        html += "</tbody><tfoot><tr><td>Total</td>" + Self.cells(totals).map { "<td>\(esc($0))</td>" }.joined() + "</tr></tfoot></table>"
        for gap in missing { html += "<p class=\"missing\">Missing: \(esc(gap.client)) — \(esc(gap.reason)). Not counted.</p>" }
        for client in daily.keys.sorted() {
            let days = daily[client]!.sorted { $0.key < $1.key }
            var clientTotals = UsageTotals.zero
            for (_, totals) in days { clientTotals.add(totals) }
            html += "<h2>\(esc(client))</h2><p>\(clientTotals.requests) requests, price \(esc(clientTotals.price.formatted(decimals: 6))) (raw \(esc(clientTotals.rawCost.formatted(decimals: 6))))</p>"
            html += Self.chart(days: days, label: "Daily price for \(esc(client))")
        }
        return html + "</body></html>\n"
    }

    /// A bar chart of daily price (integer maths on nano-dollars; no floating point for money).
    static func chart(days: [(key: String, value: UsageTotals)], label: String) -> String {
        let width = 640, height = 160, barGap = 2
        let maximum = max(1, days.map(\.value.price.nanos).max() ?? 1)
        let barWidth = days.isEmpty ? 0 : max(2, (width - 40) / days.count - barGap)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height + 20)\" role=\"img\" aria-label=\"\(label)\"><title>\(label)</title>"
        for (index, day) in days.enumerated() {
            let barHeight = Int(Int64(height - 10) * day.value.price.nanos / maximum)
            let x = 40 + index * (barWidth + barGap)
            svg += "<rect x=\"\(x)\" y=\"\(height - barHeight)\" width=\"\(barWidth)\" height=\"\(barHeight)\" fill=\"#4f46e5\"><title>\(day.key): \(day.value.price.formatted(decimals: 6))</title></rect>"
        }
        svg += "<text x=\"0\" y=\"12\" font-size=\"11\">\(Money(nanos: maximum).formatted(decimals: 4))</text>"
        if let first = days.first?.key, let last = days.last?.key {
            svg += "<text x=\"40\" y=\"\(height + 16)\" font-size=\"11\">\(first)</text><text x=\"\(width - 80)\" y=\"\(height + 16)\" font-size=\"11\">\(last)</text>"
        }
        return svg + "</svg>"
    }
}
