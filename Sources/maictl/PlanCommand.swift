import ArgumentParser
import Foundation
import MaiFleet

/// `maictl plan`: what `provision` would create or change — read-only.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what provision would create or change on Hetzner Cloud (servers, SSH key, firewall); changes nothing.",
        discussion: """
            Reads the project with three list calls (servers, SSH keys, the mai-fleet firewall; three \
            more — server types, locations, images — when a server is to be created) and compares it \
            with the fleet files; an unknown server type, location or image is a problem. Changes: create, update (firewall rules or attachment), \
            keep, drift (differs, and maictl will not change it: server type, location), skip (host = … \
            in the client file), orphan (a managed server no client file names), problem (cannot be \
            done; the detail says what to do). A summary goes to stderr.
            Exit codes: 0 plan shown, 1 the API could not be read, 2 the plan has problems, 64 bad arguments.

            Example: maictl plan
            Example: maictl plan acme -o json
            """
    )

    @OptionGroup var setup: ProvisioningOptions
    @Argument(help: ArgumentHelp("Only these clients (default: every enabled client).", valueName: "client")) var clients: [String] = []

    func run() async throws {
        let context = try setup.context(clients: clients.isEmpty ? nil : clients)
        let plan: ProvisionPlan
        do {
            let survey = try await context.provisioner.survey(for: context.selected)
            plan = context.provisioner.plan(instances: context.selected, fleetSlugs: context.fleetSlugs, survey: survey)
        } catch {
            Stderr.write("maictl plan: \(error)")
            throw ExitCode(1)
        }
        let columns: [(String, (ProvisionPlan.Item) -> String)] = [
            ("change", \.change.rawValue), ("resource", \.resource), ("name", \.name),
            ("id", { $0.id.map(String.init) ?? "" }), ("detail", \.detail),
        ]
        setup.print(plan.items, columns: columns)
        let count = { (change: ProvisionPlan.Change) in plan.items.filter { $0.change == change }.count }
        Stderr.write("\(count(.create)) to create, \(count(.update)) to update, \(count(.keep)) unchanged"
            + (count(.drift) > 0 ? ", \(count(.drift)) drifted" : "") + (count(.orphan) > 0 ? ", \(count(.orphan)) orphaned" : "")
            + (count(.problem) > 0 ? ", \(count(.problem)) with problems" : "") + ".")
        if !plan.problems.isEmpty { throw ExitCode(2) }
    }
}
