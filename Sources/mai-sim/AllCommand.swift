import ArgumentParser
import MaiSimulators

/// `mai-sim all`: OpenRouter at `/api/v1`, Anthropic at `/v1` and Gemini at `/v1beta` on one port.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Serve all simulators on one port.")

    @OptionGroup var serve: ServeOptions

    @Option(name: .customLong("generation-delay"), help: "Seconds OpenRouter's /generation answers 404 after a generation finishes.")
    var generationDelay: Double = 2

    @Option(name: .customLong("cost-seed"), help: "Seed of the rotation of the forms amounts are written in (plain, exponent, float noise, long decimals).")
    var costSeed: UInt64 = 0

    @Flag(name: .customLong("plain-costs"), help: "Write every amount as a plain decimal instead of rotating its form.")
    var plainCosts = false

    func validate() throws {
        guard generationDelay >= 0 else { throw ValidationError("--generation-delay must be 0 or more seconds.") }
    }

    func run() async throws {
        let provider = ProviderSimulatorConfiguration(chunkDelay: .milliseconds(serve.chunkDelayMs))
        let suite = SimulatorSuite(
            openRouter: OpenRouterSimulator(configuration: openRouterConfiguration(generationDelay: generationDelay, chunkDelayMs: serve.chunkDelayMs, costForms: plainCosts ? .plain : .rotating(seed: costSeed))),
            anthropic: AnthropicSimulator(configuration: provider),
            gemini: GeminiSimulator(configuration: provider))
        try await serve.serve(suite.buildRouter(), name: "all") {
            "OPENROUTER_BASE_URL=\($0)/api/v1 ANTHROPIC_BASE_URL=\($0) GEMINI_BASE_URL=\($0)/v1beta"
        }
    }
}
