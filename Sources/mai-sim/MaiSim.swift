import ArgumentParser

/// `mai-sim`: runs the local stand-ins for OpenRouter, Anthropic and Gemini.
@main
struct MaiSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mai-sim",
        abstract: "Run local stand-ins for OpenRouter, Anthropic, Google Gemini and the Hetzner Cloud API.",
        discussion: "Each server prints one line with its base URL, then serves until SIGTERM or SIGINT.",
        subcommands: [OpenRouterCommand.self, AnthropicCommand.self, GeminiCommand.self, HetznerCommand.self, AllCommand.self]
    )
}
