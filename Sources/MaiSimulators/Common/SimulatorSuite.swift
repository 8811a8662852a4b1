import Hummingbird
import Logging

/// The three stand-ins on one router: OpenRouter at `/api/v1` (control API at `/__sim`),
/// Anthropic at `/v1`, Gemini at `/v1beta` — what `mai-sim all` serves.
public struct SimulatorSuite: Sendable {
    public let openRouter: OpenRouterSimulator
    public let anthropic: AnthropicSimulator
    public let gemini: GeminiSimulator

    public init(openRouter: OpenRouterSimulator, anthropic: AnthropicSimulator, gemini: GeminiSimulator) {
        self.openRouter = openRouter
        self.anthropic = anthropic
        self.gemini = gemini
    }

    /// A router with all three simulators' routes.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        openRouter.addRoutes(to: router)
        anthropic.addRoutes(to: router)
        gemini.addRoutes(to: router)
        return router
    }
}
