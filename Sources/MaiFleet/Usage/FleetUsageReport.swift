import Foundation
import MaiCore

/// The fleet's usage for a period, from every instance's own books (`GET /admin/v1/usage`).
/// An instance that did not answer is listed as missing with its reason — never counted as zero.
/// Amounts are exact (nano-dollars); totals are the sums of the rows.
public struct FleetUsageReport: Sendable, Equatable {
    /// What a row groups by.
    public enum Grouping: String, Sendable, CaseIterable {
        case client, model, user, day

        /// The grouping to ask each instance for.
        public var instanceGrouping: String {
            switch self {
            case .client, .day: "day"
            case .model: "model"
            case .user: "user"
            }
        }
    }

    public struct Row: Sendable, Equatable {
        /// The client slug for `client`; `slug / key` otherwise (users and models are per instance).
        public var key: String
        public var client: String
        public var label: String
        public var totals: UsageTotals
    }

    public struct Missing: Sendable, Equatable {
        public var client: String
        public var reason: String
    }

    public var from: String
    public var to: String
    public var grouping: Grouping
    public var rows: [Row]
    public var totals: UsageTotals
    public var missing: [Missing]
    /// Per client, per day (for charts), whatever the grouping.
    public var daily: [String: [String: UsageTotals]]

    /// Builds the report from each client's answer (or failure).
    public init(from: String, to: String, grouping: Grouping, answers: [(client: String, result: Result<[AdminUsageReport], any Error>)]) {
        self.from = from
        self.to = to
        self.grouping = grouping
        var rows: [Row] = []
        var missing: [Missing] = []
        var daily: [String: [String: UsageTotals]] = [:]
        var modelRows: [String: Row] = [:]
        var dayRows: [String: Row] = [:]
        for (client, result) in answers.sorted(by: { $0.client < $1.client }) {
            switch result {
            case .failure(let error):
                missing.append(Missing(client: client, reason: "\(error)"))
            case .success(let reports):
                for report in reports where report.groupBy == "day" {
                    daily[client] = Dictionary(report.rows.map { ($0.key, $0.totals) }, uniquingKeysWith: { first, _ in first })
                }
                guard let report = reports.first(where: { $0.groupBy == grouping.instanceGrouping }) else { continue }
                switch grouping {
                case .client:
                    rows.append(Row(key: client, client: client, label: client, totals: report.totals))
                case .user:
                    rows += report.rows.map { Row(key: "\(client)/\($0.key)", client: client, label: "\(client): \($0.label)", totals: $0.totals) }
                case .model:
                    // Models are the same across clients: one row per model for the whole fleet.
                    for line in report.rows {
                        var row = modelRows[line.key] ?? Row(key: line.key, client: "", label: line.key, totals: .zero)
                        row.totals.add(line.totals)
                        modelRows[line.key] = row
                    }
                case .day:
                    for line in report.rows {
                        var row = dayRows[line.key] ?? Row(key: line.key, client: "", label: line.key, totals: .zero)
                        row.totals.add(line.totals)
                        dayRows[line.key] = row
                    }
                }
            }
        }
        switch grouping {
        case .model: rows = modelRows.values.sorted { ($0.totals.rawCost, $1.key) > ($1.totals.rawCost, $0.key) }
        case .day: rows = dayRows.values.sorted { $0.key < $1.key }
        case .client, .user: break
        }
        var totals = UsageTotals.zero
        for row in rows { totals.add(row.totals) }
        self.rows = rows
        self.totals = totals
        self.missing = missing
        self.daily = daily
    }

    /// `price / raw` with 4 decimals ("—" when nothing was spent): the markup a row was billed at.
    public static func effectiveMarkup(_ totals: UsageTotals) -> String {
        guard totals.rawCost.nanos > 0 else { return "—" }
        let scaled = Money(nanos: totals.price.nanos).scaled(by: 10_000, over: totals.rawCost.nanos).nanos
        return String(format: "%d.%04d", scaled / 10_000, scaled % 10_000)
    }
}
