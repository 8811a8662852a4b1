import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl usage …`.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Usage across the fleet, from each instance's own books.",
        subcommands: [UsageReportCommand.self, UsageReconcileCommand.self]
    )
}

/// `maictl usage report`: raw cost, markup and client price per row, with fleet totals.
struct UsageReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report usage by client, model, user or day for a month or a range.",
        discussion: """
            Example: maictl usage report --month 2026-11 --by client -o html > november.html
            An instance that does not answer is listed as missing with the reason (exit 2), never counted as zero.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv, html }

    @OptionGroup var selection: InstanceSelection
    @Option(help: ArgumentHelp("The month, YYYY-MM (default: this month, UTC).", valueName: "month")) var month: String?
    @Option(help: ArgumentHelp("First day, YYYY-MM-DD.", valueName: "day")) var from: String?
    @Option(help: ArgumentHelp("Last day, YYYY-MM-DD.", valueName: "day")) var to: String?
    @Option(help: "client, model, user or day") var by: String = "client"
    @Option(name: [.customShort("o"), .customLong("output")], help: "table, json, csv or html") var format: Format = .table

    func validate() throws {
        guard FleetUsageReport.Grouping(rawValue: by) != nil else { throw ValidationError("--by must be client, model, user or day.") }
        if month != nil, from != nil || to != nil { throw ValidationError("Give either --month or --from/--to, not both.") }
        _ = try period()
    }

    /// The first and last day of the period.
    func period() throws -> (String, String) {
        let calendar: Calendar = {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar
        }()
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone(identifier: "UTC")
        day.dateFormat = "yyyy-MM-dd"
        if from != nil || to != nil {
            guard let from, let to, let start = day.date(from: from), let end = day.date(from: to), start <= end,
                  day.string(from: start) == from, day.string(from: end) == to
            else { throw ValidationError("--from and --to must both be days as YYYY-MM-DD, from not after to.") }
            return (from, to)
        }
        let first: Date
        if let month {
            guard let date = day.date(from: month + "-01"), day.string(from: date) == month + "-01" else {
                throw ValidationError("--month must be YYYY-MM, e.g. 2026-11.")
            }
            first = date
        } else {
            first = calendar.date(from: calendar.dateComponents([.year, .month], from: Date()))!
        }
        let last = calendar.date(byAdding: DateComponents(month: 1, day: -1), to: first)!
        return (day.string(from: first), day.string(from: last))
    }

    func run() async throws {
        let grouping = FleetUsageReport.Grouping(rawValue: by)!
        let (from, to) = try period()
        let instances = try selection.instances()
        let connector = try selection.connector()
        let groupings = Set(["day", grouping.instanceGrouping])
        let progress = FleetProgress(total: instances.count, action: "usage report")
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance in
            try await progress.track(instance.slug) {
                try await connector.withAdminAPI(instance) { client, _ in
                    var reports: [AdminUsageReport] = []
                    for group in groupings.sorted() { reports.append(try await client.usage(from: from, to: to, groupBy: group)) }
                    return reports
                }
            }
        }
        progress.end()
        let report = FleetUsageReport(from: from, to: to, grouping: grouping,
                                      answers: zip(instances, results).map { ($0.slug, $1) })
        switch format {
        case .table: print(report.table(), terminator: "")
        case .json: print(try report.json(), terminator: "")
        case .csv: print(report.csv(), terminator: "")
        case .html: print(report.html(title: "mAI usage \(from) – \(to)"), terminator: "")
        }
        for gap in report.missing { Stderr.write("missing \(gap.client): \(gap.reason)") }
        throw fleetExitCode(failures: report.missing.count, total: instances.count)
    }
}
