/// The wire protocol and defaults of a provider connection.
public enum ConnectionKind: String, Sendable, Codable, CaseIterable {
    case openrouter
    case openai
    case ollama
    /// Any other OpenAI-compatible endpoint (vLLM, LM Studio, a gateway …).
    case custom
    case anthropic
    case gemini

    /// The base URL used when none is given.
    var defaultBaseURL: String? {
        switch self {
        case .openrouter: "https://openrouter.ai/api/v1"
        case .openai: "https://api.openai.com/v1"
        case .ollama: "http://127.0.0.1:11434/v1"
        case .anthropic: "https://api.anthropic.com"
        case .gemini: "https://generativelanguage.googleapis.com"
        case .custom: nil
        }
    }

    var displayName: String {
        switch self {
        case .openrouter: "OpenRouter"
        case .openai: "OpenAI"
        case .ollama: "Ollama"
        case .custom: "OpenAI-compatible"
        case .anthropic: "Anthropic"
        case .gemini: "Google Gemini"
        }
    }

    /// Whether a key is required to use it.
    var needsKey: Bool { self != .ollama && self != .custom }
}
