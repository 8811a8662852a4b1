import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl keys status`: per client, the key in use (hash, age) and OpenRouter's limit, remaining
/// and this month's usage; finishes old keys whose grace period is over.
struct KeysStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each client's OpenRouter key: hash, age, limit, remaining, this month's usage, rotation state.",
        discussion: "Also deletes old keys whose grace period has ended (a rotation's last step). Example: maictl keys status -o json"
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var selection: InstanceSelection
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table

    struct Row: Encodable, Sendable {
        var client: String
        var keyHash: String?
        var keySetAt: Date?
        var ageSeconds: Int64?
        var limit: Money?
        var limitRemaining: Money?
        var limitReset: String?
        var usageMonthly: Money?
        var disabled: Bool?
        var rotation: String?
        var error: String?
    }

    func run() async throws {
        let instances = try selection.instances()
        let connector = try selection.connector()
        let context = try KeysContext.make(connector: connector)
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance in
            try await connector.withAdminAPI(instance) { agent, _ -> Row in
                let rotation = KeyRotation(client: instance.slug, management: context.management, agent: agent, store: context.store)
                var note: String?
                do {
                    if let finished = try await rotation.finishPendingDelete() { note = "old key \(finished.oldHash.prefix(12)) deleted now" }
                } catch {
                    note = "pending delete failed: \(error)"
                }
                let state = try await agent.openRouterKey()
                var row = Row(client: instance.slug, keyHash: state.currentHash, keySetAt: state.keySetAt,
                              ageSeconds: state.keySetAt.map { Int64(Date().timeIntervalSince($0)) })
                if let journal = try context.store.journal(instance.slug), journal.isOpen {
                    row.rotation = "rotation at \(journal.step.rawValue)" + (journal.lastError.map { ": \($0)" } ?? "")
                } else {
                    row.rotation = note
                }
                if let hash = state.currentHash {
                    do {
                        let key = try await context.management.key(hash: hash)
                        row.limit = key.limit
                        row.limitRemaining = key.limitRemaining
                        row.limitReset = key.limitReset
                        row.usageMonthly = key.usageMonthly
                        row.disabled = key.disabled
                    } catch {
                        row.error = "OpenRouter: \(error)"
                    }
                }
                return row
            }
        }
        let rows = zip(instances, results).map { instance, result -> Row in
            switch result {
            case .success(let row): row
            case .failure(let error): Row(client: instance.slug, error: "\(error)")
            }
        }
        switch format {
        case .json:
            print(try resultJSON(rows))
        case .table:
            var table = Table(columns: [
                .init("client"), .init("key"), .init("age", alignment: .right), .init("limit", alignment: .right),
                .init("remaining", alignment: .right), .init("this month", alignment: .right), .init("note"),
            ])
            for row in rows {
                let money = { (value: Money?) in value.map { "$" + $0.formatted(decimals: 2) } ?? "-" }
                let limit = row.limit.map { "$" + $0.formatted(decimals: 2) + (row.limitReset.map { "/\($0)" } ?? "") } ?? (row.keyHash == nil ? "-" : "none")
                let note = [row.disabled == true ? "DISABLED" : nil, row.rotation, row.error].compactMap { $0 }.joined(separator: "; ")
                table.append([row.client, row.keyHash.map { String($0.prefix(12)) } ?? "none", row.ageSeconds.map { StatusCommand.age(TimeInterval($0)) } ?? "-",
                              limit, money(row.limitRemaining), row.usageMonthly.map { "$" + $0.formatted(decimals: 6) } ?? "-", note])
            }
            print(table.render(), terminator: "")
        }
        let failures = rows.filter { $0.error != nil }.count
        if failures > 0 { for row in rows where row.error != nil { Stderr.write("\(row.client): \(row.error!)") } }
        throw fleetExitCode(failures: failures, total: rows.count)
    }
}
