import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl status`: one row per instance from its admin API.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every instance: reachable, version, uptime, users, today's spend, usage confirmation, key.",
        discussion: "Example: maictl status --only acme,globex -o json"
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var selection: InstanceSelection
    @Option(name: [.customShort("o"), .customLong("output")], help: "table or json") var format: Format = .table

    struct Row: Encodable {
        var client: String
        var address: String
        var reachable: Bool
        var error: String?
        var status: AdminStatus?
    }

    func run() async throws {
        let instances = try selection.instances()
        let connector = try selection.connector()
        let progress = FleetProgress(total: instances.count, action: "status")
        let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance in
            try await progress.track(instance.slug) {
                try await connector.withAdminAPI(instance) { client, _ in try await client.status() }
            }
        }
        progress.end()
        let rows = zip(instances, results).map { instance, result -> Row in
            switch result {
            case .success(let status): Row(client: instance.slug, address: connector.address(for: instance), reachable: true, status: status)
            case .failure(let error): Row(client: instance.slug, address: connector.address(for: instance), reachable: false, error: "\(error)")
            }
        }
        switch format {
        case .json:
            print(try resultJSON(rows))
        case .table:
            var table = Table(columns: [
                .init("client"), .init("address"), .init("reachable"), .init("version"), .init("uptime", alignment: .right),
                .init("users", alignment: .right), .init("today", alignment: .right), .init("confirmed"), .init("key"),
                .init("key age", alignment: .right),
            ])
            for row in rows {
                guard let status = row.status else {
                    table.append([row.client, row.address, "NO: \(row.error ?? "")"])
                    continue
                }
                let confirmed = status.lastConfirmation.map { run in
                    "\(Self.age(Date().timeIntervalSince(run.finishedAt))) ago, \(run.remaining) left"
                } ?? "never"
                table.append([row.client, row.address, "yes", status.version, Self.age(TimeInterval(status.uptimeSeconds)),
                              String(status.users), "$" + status.today.price.formatted(decimals: 6), confirmed,
                              status.openrouterKey.map { "\($0.hint) \($0.hash.prefix(8))" } ?? "none",
                              status.openrouterKey?.setAt.map { Self.age(Date().timeIntervalSince($0)) } ?? "-"])
            }
            print(table.render(), terminator: "")
        }
        let failures = rows.filter { !$0.reachable }.count
        if failures > 0 { Stderr.write("\(failures) of \(rows.count) instance\(rows.count == 1 ? "" : "s") did not answer.") }
        throw fleetExitCode(failures: failures, total: rows.count)
    }

    static func age(_ seconds: TimeInterval) -> String {
        let value = Int(seconds)
        if value < 120 { return "\(value)s" }
        if value < 7200 { return "\(value / 60)m" }
        if value < 172_800 { return "\(value / 3600)h" }
        return "\(value / 86_400)d"
    }
}
