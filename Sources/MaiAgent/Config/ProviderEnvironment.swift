import Foundation
import MaiCore

/// Upstream model providers configured from the environment (admins can add more in Settings).
public struct ProviderEnvironment: Sendable {
    /// `OPENROUTER_API_KEY`.
    public var openRouterKey: Secret?
    /// `OPENROUTER_BASE_URL` (https://openrouter.ai/api/v1).
    public var openRouterBaseURL: URL
    /// `OPENAI_API_KEY`.
    public var openAIKey: Secret?
    /// `OPENAI_API_BASE_URL` (https://api.openai.com/v1).
    public var openAIBaseURL: URL
    /// `ANTHROPIC_API_KEY`.
    public var anthropicKey: Secret?
    /// `GEMINI_API_KEY`.
    public var geminiKey: Secret?
    /// `OLLAMA_BASE_URL`.
    public var ollamaBaseURL: URL?

    init(_ env: EnvironmentReader) throws(ConfigError) {
        openRouterKey = env.string("OPENROUTER_API_KEY").map(Secret.init)
        openRouterBaseURL = try env.httpURL("OPENROUTER_BASE_URL") ?? URL(string: "https://openrouter.ai/api/v1")!
        openAIKey = env.string("OPENAI_API_KEY").map(Secret.init)
        openAIBaseURL = try env.httpURL("OPENAI_API_BASE_URL") ?? URL(string: "https://api.openai.com/v1")!
        anthropicKey = env.string("ANTHROPIC_API_KEY").map(Secret.init)
        geminiKey = env.string("GEMINI_API_KEY").map(Secret.init)
        ollamaBaseURL = try env.httpURL("OLLAMA_BASE_URL")
    }
}
