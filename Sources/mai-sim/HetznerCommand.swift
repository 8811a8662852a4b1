import ArgumentParser
import Foundation
import MaiSimulators

/// `mai-sim hetzner`: the Hetzner Cloud API stand-in at `/v1` (control API at `/__sim`).
struct HetznerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hetzner",
        abstract: "Serve the Hetzner Cloud API simulator.",
        discussion: """
            Example: mai-sim hetzner --port 9300 --hosts 198.51.100.11,198.51.100.12
            then HCLOUD_ENDPOINT=http://127.0.0.1:9300/v1 HCLOUD_TOKEN=sim-hcloud-token maictl provision --all
            """
    )

    @OptionGroup var serve: ServeOptions

    @Option(help: ArgumentHelp("Accepted bearer tokens (comma-separated).", valueName: "tokens"))
    var tokens = "sim-hcloud-token"

    @Option(help: ArgumentHelp("IPv4 addresses handed to created servers in order, e.g. the test fleet's hosts (comma-separated).", valueName: "addresses"))
    var hosts = ""

    @Option(name: .customLong("rate-limit"), help: "Requests per token when the budget is full.")
    var rateLimit = 3600

    @Option(name: .customLong("create-seconds"), help: "How long creating a server takes.")
    var createSeconds: Double = 3

    @Option(name: .customLong("action-seconds"), help: "How long other actions take.")
    var actionSeconds: Double = 0.5

    func validate() throws {
        guard rateLimit >= 1 else { throw ValidationError("--rate-limit must be at least 1.") }
        guard createSeconds >= 0, actionSeconds >= 0 else { throw ValidationError("--create-seconds and --action-seconds must be 0 or more.") }
        guard !tokens.split(separator: ",").isEmpty else { throw ValidationError("--tokens needs at least one token.") }
    }

    func run() async throws {
        var configuration = HetznerConfiguration()
        configuration.tokens = Set(tokens.split(separator: ",").map { String($0) })
        configuration.hostPool = hosts.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        configuration.rateLimit = rateLimit
        configuration.createDuration = .milliseconds(Int64(createSeconds * 1000))
        configuration.actionDuration = .milliseconds(Int64(actionSeconds * 1000))
        let simulator = HetznerSimulator(configuration: configuration)
        try await serve.serve(simulator.buildRouter(), name: "hetzner") { "HCLOUD_ENDPOINT=\($0)/v1" }
    }
}
