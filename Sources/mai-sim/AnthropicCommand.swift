import ArgumentParser
import MaiSimulators

/// `mai-sim anthropic`: the Anthropic Messages stand-in at `/v1`.
struct AnthropicCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "anthropic", abstract: "Serve the Anthropic Messages simulator.")

    @OptionGroup var serve: ServeOptions

    func run() async throws {
        let simulator = AnthropicSimulator(configuration: ProviderSimulatorConfiguration(chunkDelay: .milliseconds(serve.chunkDelayMs)))
        try await serve.serve(simulator.buildRouter(), name: "anthropic") { "ANTHROPIC_BASE_URL=\($0)" }
    }
}
