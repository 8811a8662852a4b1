import ArgumentParser
import MaiSimulators

/// `mai-sim gemini`: the Gemini stand-in at `/v1beta`.
struct GeminiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemini", abstract: "Serve the Google Gemini simulator.")

    @OptionGroup var serve: ServeOptions

    func run() async throws {
        let simulator = GeminiSimulator(configuration: ProviderSimulatorConfiguration(chunkDelay: .milliseconds(serve.chunkDelayMs)))
        try await serve.serve(simulator.buildRouter(), name: "gemini") { "GEMINI_BASE_URL=\($0)/v1beta" }
    }
}
