import ArgumentParser
import Foundation
import MaiFleet

/// `maictl audit`: every mutating step maictl took (the local log), or a host's own log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show the audit log: this machine's (default) or a host's /srv/mai/audit.log (--host).",
        discussion: "Example: maictl audit --client acme --lines 50")

    @Option(help: ArgumentHelp("Only entries of this client.", valueName: "slug")) var client: String?
    @Option(help: ArgumentHelp("Read this client's host log instead of the local one.", valueName: "slug")) var host: String?
    @Option(name: [.customShort("n"), .long], help: "The last N entries.") var lines: Int = 50
    @Flag(help: "Print JSON lines as stored.") var json = false
    @OptionGroup var fleet: FleetOptions

    func validate() throws {
        guard (1...100_000).contains(lines) else { throw ValidationError("-n must be from 1 to 100000.") }
    }

    func run() async throws {
        var selection = InstanceSelection.make(fleet: fleet, only: nil)
        let connector = try selection.connector()
        var entries: [AuditEntry]
        if let host {
            selection.only = host
            guard let instance = try selection.instances().first else { throw ExitCode(64) }
            let result: ExecResult
            do {
                result = try await connector.withSession(instance) { session in
                    try await session.exec(.cat(path: HostLayout().auditLog), timeout: .seconds(30))
                }
            } catch {
                Stderr.write("maictl audit: \(host): \(error)")
                throw ExitCode(1)
            }
            guard result.succeeded else {
                Stderr.write("\(host): no audit log yet (\(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)))")
                throw ExitCode(1)
            }
            let decoder = JSONDecoder()
            entries = result.stdoutText.split(separator: "\n").compactMap { try? decoder.decode(AuditEntry.self, from: Data($0.utf8)) }
        } else {
            entries = LocalAuditLog(stateDirectory: connector.state.url).entries()
        }
        if let client { entries = entries.filter { $0.instance == client } }
        entries = Array(entries.suffix(lines))
        if json {
            for entry in entries { print(entry.line, terminator: "") }
            return
        }
        var table = Table(columns: [.init("time"), .init("instance"), .init("action"), .init("version"), .init("outcome"), .init("actor"), .init("detail")])
        for entry in entries {
            table.append([entry.time, entry.instance, entry.action, entry.version ?? "-", entry.outcome, entry.actor, entry.detail])
        }
        print(table.render(), terminator: "")
    }
}
