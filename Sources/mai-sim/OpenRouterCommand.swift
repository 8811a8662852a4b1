import ArgumentParser
import MaiSimulators

/// `mai-sim openrouter`: the OpenRouter stand-in at `/api/v1` (control API at `/__sim`).
struct OpenRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "openrouter", abstract: "Serve the OpenRouter simulator.")

    @OptionGroup var serve: ServeOptions

    @Option(name: .customLong("generation-delay"), help: "Seconds /generation answers 404 after a generation finishes.")
    var generationDelay: Double = 2

    func validate() throws {
        guard generationDelay >= 0 else { throw ValidationError("--generation-delay must be 0 or more seconds.") }
    }

    func run() async throws {
        let simulator = OpenRouterSimulator(configuration: openRouterConfiguration(generationDelay: generationDelay, chunkDelayMs: serve.chunkDelayMs))
        try await serve.serve(simulator.buildRouter(), name: "openrouter") { "OPENROUTER_BASE_URL=\($0)/api/v1" }
    }
}

func openRouterConfiguration(generationDelay: Double, chunkDelayMs: Int) -> OpenRouterConfiguration {
    var configuration = OpenRouterConfiguration()
    configuration.generationDelay = .milliseconds(Int64(generationDelay * 1000))
    configuration.chunkDelay = .milliseconds(chunkDelayMs)
    return configuration
}
