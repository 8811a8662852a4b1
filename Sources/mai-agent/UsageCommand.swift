import ArgumentParser
import Foundation
import MaiCore
import Logging
import MaiAgent

/// `mai-agent usage …`: the books from the server's shell.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Confirm usage now, or prune old detail rows.",
        subcommands: [Sync.self, Prune.self]
    )

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run one confirmation pass now (GET /generation for provisional rows).")

        func run() async throws {
            let services = await Startup.services(Startup.config(), logger: Logger(label: "mai.agent.cli"))
            let result = try await services.confirmUsageNow()
            print("Confirmed \(result.confirmed), not ready \(result.notReady), failed \(result.failed), unverified \(result.unverified); \(result.remaining) still provisional\(result.rateLimited ? " (OpenRouter asked us to slow down; run again later)" : "").")
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete generation detail rows before a day; daily roll-ups (and reports) are kept.",
            discussion: "Rows still waiting for confirmation are never deleted."
        )

        @Option(help: "Delete detail rows created before this day (YYYY-MM-DD, UTC).")
        var before: String

        @Flag(help: "Do not ask for confirmation.")
        var yes = false

        func validate() throws {
            guard UsagePruner.isDay(before) else { throw ValidationError("--before must be a day as YYYY-MM-DD, e.g. 2026-01-01.") }
        }

        func run() async throws {
            let services = await Startup.services(Startup.config(), logger: Logger(label: "mai.agent.cli"))
            let plan = try await services.usagePrunePlan(before: before)
            print("Will delete \(plan.deletable) generation detail rows created before \(before) (UTC). Daily roll-ups stay, so reports do not change.")
            if plan.keptProvisional > 0 {
                print("\(plan.keptProvisional) older rows still wait for confirmation and are kept.")
            }
            guard plan.deletable > 0 else { return }
            if !yes {
                guard isatty(STDIN_FILENO) != 0 else {
                    StandardError.write("mai-agent: not deleting without confirmation; run again with --yes.\n")
                    throw ExitCode(1)
                }
                print("Continue? [y/N] ", terminator: "")
                guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                    print("Nothing deleted.")
                    return
                }
            }
            let deleted = try await services.pruneUsage(before: before)
            print("Deleted \(deleted) rows.")
        }
    }
}
