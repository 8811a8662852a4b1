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
    /// `ANTHROPIC_BASE_URL` (https://api.anthropic.com).
    public var anthropicBaseURL: URL
    /// `GEMINI_BASE_URL` (https://generativelanguage.googleapis.com).
    public var geminiBaseURL: URL
    /// `OLLAMA_BASE_URL`.
    public var ollamaBaseURL: URL?
    /// `UPSTREAM_READ_TIMEOUT` (120 s): a provider silent for longer mid-answer is given up on.
    public var readTimeoutSeconds: Int
    /// `MODELS_CACHE_TTL` (300 s): how long a connection's model list is reused.
    public var modelsCacheSeconds: Int
    /// `RAG_EMBEDDING_BASE_URL` as the operator set it (an address the operator trusts).
    public var embeddingBaseURL: String?
    /// `ALLOW_PRIVATE_PROVIDER_URLS`: which non-public addresses admin-set URLs may reach (none).
    public var privateAddresses: PrivateAddressAllowance

    init(_ env: EnvironmentReader) throws(ConfigError) {
        openRouterKey = env.string("OPENROUTER_API_KEY").map(Secret.init)
        openRouterBaseURL = try env.httpURL("OPENROUTER_BASE_URL") ?? URL(string: "https://openrouter.ai/api/v1")!
        openAIKey = env.string("OPENAI_API_KEY").map(Secret.init)
        openAIBaseURL = try env.httpURL("OPENAI_API_BASE_URL") ?? URL(string: "https://api.openai.com/v1")!
        anthropicKey = env.string("ANTHROPIC_API_KEY").map(Secret.init)
        geminiKey = env.string("GEMINI_API_KEY").map(Secret.init)
        anthropicBaseURL = try env.httpURL("ANTHROPIC_BASE_URL") ?? URL(string: "https://api.anthropic.com")!
        geminiBaseURL = try env.httpURL("GEMINI_BASE_URL") ?? URL(string: "https://generativelanguage.googleapis.com")!
        ollamaBaseURL = try env.httpURL("OLLAMA_BASE_URL")
        readTimeoutSeconds = try env.integer("UPSTREAM_READ_TIMEOUT", default: 120, range: 1...3600, unit: "seconds")
        modelsCacheSeconds = try env.integer("MODELS_CACHE_TTL", default: 300, range: 0...86_400, unit: "seconds")
        embeddingBaseURL = env.string("RAG_EMBEDDING_BASE_URL")?.trimmingCharacters(in: .whitespaces)
        switch PrivateAddressAllowance.parse(env.string("ALLOW_PRIVATE_PROVIDER_URLS")) {
        case .success(let allowance):
            privateAddresses = allowance
        case .failure(let invalid):
            throw ConfigError("ALLOW_PRIVATE_PROVIDER_URLS", "must be 1 (any address) or a comma-separated list of host names, "
                + "addresses and networks such as ollama.internal,10.0.0.5,192.168.1.0/24; '\(invalid.entry.prefix(60))' is none of those")
        }
    }
}
