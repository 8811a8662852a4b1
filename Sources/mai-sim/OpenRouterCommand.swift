import ArgumentParser
import MaiSimulators

/// `mai-sim openrouter`: the OpenRouter stand-in at `/api/v1` (control API at `/__sim`).
struct OpenRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openrouter", abstract: "Serve the OpenRouter simulator.")

    @OptionGroup var serve: ServeOptions

    @Option(name: .customLong("generation-delay"), help: "Seconds /generation answers 404 after a generation finishes.")
    var generationDelay: Double = 2

    @Option(name: .customLong("cost-seed"), help: "Seed of the rotation of the forms amounts are written in (plain, exponent, float noise, long decimals).")
    var costSeed: UInt64 = 0

    @Flag(name: .customLong("plain-costs"), help: "Write every amount as a plain decimal instead of rotating its form.")
    var plainCosts = false

    func validate() throws {
        guard generationDelay >= 0 else { throw ValidationError("--generation-delay must be 0 or more seconds.") }
    }

    func run() async throws {
        let simulator = OpenRouterSimulator(configuration: openRouterConfiguration(generationDelay: generationDelay, chunkDelayMs: serve.chunkDelayMs, costForms: plainCosts ? .plain : .rotating(seed: costSeed)))
        try await serve.serve(simulator.buildRouter(), name: "openrouter") { "OPENROUTER_BASE_URL=\($0)/api/v1" }
    }
}

func openRouterConfiguration(generationDelay: Double, chunkDelayMs: Int, costForms: CostForms) -> OpenRouterConfiguration {
    var configuration = OpenRouterConfiguration()
    configuration.costForms = costForms
    configuration.generationDelay = .milliseconds(Int64(generationDelay * 1000))
    configuration.chunkDelay = .milliseconds(chunkDelayMs)
    return configuration
}
