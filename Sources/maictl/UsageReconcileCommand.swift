import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl usage reconcile --month M`: each client's own books against OpenRouter's `/activity`
/// for the client's key hashes, day by day.
struct UsageReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Compare each client's books with OpenRouter's own activity record, day by day.",
        discussion: """
            OpenRouter's /activity covers the last 30 completed UTC days, so today and older days are listed as
            not covered. Keys come from the agent (current and retired) and maictl's key history (rotations).
            Exit 2 when a day differs by more than --threshold or in its number of requests, or a client (or OpenRouter) did not answer; a client
            that did not answer is listed as missing, never counted as zero. Needs OPENROUTER_MANAGEMENT_KEY.
            With --settle, each agent first books the requests it sent but OpenRouter never named (cancelled or cut
            before the response head, or the agent died) at OpenRouter's own figures from the same record, so the
            books then equal OpenRouter's; running it again changes nothing.
            Example: maictl usage reconcile --month 2026-11 --threshold 0.05 -o json
            Example: maictl usage reconcile --all --settle
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var selection: InstanceSelection
    @Option(help: ArgumentHelp("The month, YYYY-MM (default: this month, UTC).", valueName: "month")) var month: String?
    @Option(help: ArgumentHelp("Flag a day when the books differ by more than this many USD.", valueName: "usd"))
    var threshold: String = "0.01"
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Take this UTC day (YYYY-MM-DD) as today (default: today).", valueName: "day"))
    var asOf: String?
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table
    @Flag(help: "Settle the requests OpenRouter never named from its activity record before comparing.") var settle = false

    func validate() throws {
        guard let money = Money(decimal: threshold), money.nanos >= 0 else {
            throw ValidationError("--threshold must be a dollar amount such as 0.01.")
        }
        guard period() != nil else { throw ValidationError("--month must be YYYY-MM (e.g. 2026-11) and --as-of a day as YYYY-MM-DD.") }
    }

    static func today() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }

    func period() -> ReconciliationPeriod? {
        let today = asOf ?? Self.today()
        return ReconciliationPeriod(month: month ?? String(Self.today().prefix(7)), today: today)
    }

    struct Missing: Encodable, Sendable {
        var client: String
        var reason: String
    }

    struct Output: Encodable {
        var month: String
        var asOf: String
        var threshold: Money
        var clients: [ClientReconciliation]
        var settlements: [String: [AdminSettlementResult.Item]]?
        var missing: [Missing]
        var flagged: Int
        var complete: Bool
    }

    func run() async throws {
        let period = period()!
        let limit = Money(decimal: threshold)!
        let instances = try selection.instances()
        let connector = try selection.connector()
        let context = try KeysContext.make(connector: connector)
        let settle = self.settle
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance in
            let state = try await connector.withAdminAPI(instance) { agent, _ in try await agent.openRouterKey() }
            var hashes = Set(try context.store.history(instance.slug).entries.map(\.hash))
            if let current = state.currentHash { hashes.insert(current) }
            for old in state.oldKeys { hashes.insert(old.hash) }
            var activity: [String: [OpenRouterActivity]] = [:]
            for hash in hashes.sorted() {
                do {
                    activity[hash] = try await context.management.activity(apiKeyHash: hash)
                } catch {
                    throw OpenRouterAPIError.invalidRequest("OpenRouter's /activity for key \(hash.prefix(12)) did not answer: \(error)")
                }
            }
            let records = activity
            let (books, settled) = try await connector.withAdminAPI(instance) { agent, _ in
                var settled: [AdminSettlementResult.Item] = []
                if settle {
                    for request in UsageSettlementPlan.requests(activity: records, coveredDays: period.coveredDays) {
                        settled += try await agent.settleUsage(request).items
                    }
                }
                return (try await agent.usage(from: period.days.first!, to: period.days.last!, groupBy: "day"), settled)
            }
            return (ClientReconciliation(client: instance.slug, keyHashes: hashes.sorted(), agent: books, activity: activity.values.flatMap { $0 },
                                         coveredDays: period.coveredDays, monthDays: period.days, threshold: limit), settled)
        }
        var clients: [ClientReconciliation] = []
        var settlements: [String: [AdminSettlementResult.Item]] = [:]
        var missing: [Missing] = []
        for (instance, result) in zip(instances, results) {
            switch result {
            case .success(let (reconciliation, settled)):
                clients.append(reconciliation)
                settlements[instance.slug] = settled.filter { $0.settled + $0.dropped > 0 || $0.note != nil }
            case .failure(let error): missing.append(Missing(client: instance.slug, reason: "\(error)"))
            }
        }
        let flagged = clients.reduce(0) { $0 + $1.flaggedDays.count }
        let output = Output(month: period.month, asOf: asOf ?? Self.today(), threshold: limit, clients: clients,
                            settlements: settle ? settlements : nil, missing: missing, flagged: flagged, complete: missing.isEmpty)
        switch format {
        case .json:
            print(try resultJSON(output))
        case .table:
            var table = Table(columns: [
                .init("client"), .init("days", alignment: .right), .init("agent", alignment: .right), .init("openrouter", alignment: .right),
                .init("difference", alignment: .right), .init("flagged days"),
            ])
            for client in clients {
                let days = client.flaggedDays.map { "\($0.day) (\($0.difference.nanos >= 0 ? "+" : "-")$\(Money(nanos: abs($0.difference.nanos)).formatted(decimals: 6)))" }
                table.append([client.client, String(client.days.count), "$" + client.agentTotal.formatted(decimals: 6),
                              "$" + client.openrouterTotal.formatted(decimals: 6), "$" + client.difference.formatted(decimals: 6),
                              days.isEmpty ? "none" : days.joined(separator: ", ")])
            }
            for gap in missing { table.append([gap.client, "-", "-", "-", "-", "MISSING"]) }
            print(table.render(), terminator: "")
            if !period.coveredDays.isEmpty {
                Stderr.write("Compared \(period.coveredDays.first!) … \(period.coveredDays.last!); OpenRouter does not cover the month's other days yet.")
            } else {
                Stderr.write("No day of \(period.month) is covered by OpenRouter's /activity on \(asOf ?? Self.today()) (completed days of the last 30 only).")
            }
        }
        for (client, items) in settlements.sorted(by: { $0.key < $1.key }) {
            for item in items {
                if let note = item.note {
                    Stderr.write("\(client) \(item.day) \(item.model): not settled: \(note)")
                } else {
                    Stderr.write("\(client) \(item.day) \(item.model): settled \(item.settled) unnamed request(s) at $\(item.amount.decimalString); \(item.dropped) never reached OpenRouter")
                }
            }
        }
        for gap in missing { Stderr.write("missing \(gap.client): \(gap.reason)") }
        if flagged > 0 { Stderr.write("\(flagged) day(s) differ by more than $\(limit.decimalString).") }
        throw (missing.isEmpty && flagged == 0) ? ExitCode.success : ExitCode(2)
    }
}
