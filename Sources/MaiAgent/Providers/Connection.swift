import MaiCore

/// A configured provider: where to call, with which key, and how its models are named here.
public struct Connection: Sendable, Equatable {
    /// Stable id: `openrouter`, `openai`, `anthropic`, `gemini`, `ollama` for the environment's,
    /// a generated one for those an admin adds.
    public var id: String
    public var kind: ConnectionKind
    public var name: String
    /// Without trailing slash.
    public var baseURL: String
    public var apiKey: Secret?
    /// Prepended with a dot to this connection's model ids (`work.gpt-4o`) to tell apart two
    /// connections offering the same model; empty for none.
    public var modelPrefix: String
    public var enabled: Bool
    /// `environment` or `database`.
    public var source: SettingSource

    /// `sk-or-…a1b2`: enough to recognise a key, never enough to use it.
    public var keyHint: String {
        guard let key = apiKey?.value, !key.isEmpty else { return "" }
        return Self.hint(for: key)
    }

    static func hint(for key: String) -> String {
        guard key.count > 10 else { return "…" }
        return "\(key.prefix(key.hasPrefix("sk-or-") ? 6 : 3))…\(key.suffix(4))"
    }
}
