/// Settings shared by the small Anthropic and Gemini stand-ins.
public struct ProviderSimulatorConfiguration: Sendable {
    /// Pause between two content chunks when the request sets no `tps`.
    public var chunkDelay: Duration
    /// Answer length in tokens when the request sets neither `tokens` nor a maximum.
    public var defaultReplyTokens: Int
    /// Keys accepted; `nil` accepts any non-empty key.
    public var acceptedKeys: Set<String>?
    /// A stalled answer gives up after this long even if the client stays.
    public var stallTimeout: Duration
    /// `Retry-After` seconds on a simulated 429.
    public var retryAfterSeconds: Int

    public init(
        chunkDelay: Duration = .milliseconds(10), defaultReplyTokens: Int = 40, acceptedKeys: Set<String>? = nil,
        stallTimeout: Duration = .seconds(300), retryAfterSeconds: Int = 2
    ) {
        self.chunkDelay = chunkDelay
        self.defaultReplyTokens = defaultReplyTokens
        self.acceptedKeys = acceptedKeys
        self.stallTimeout = stallTimeout
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// No pacing, for fast tests.
    public static var testing: ProviderSimulatorConfiguration { ProviderSimulatorConfiguration(chunkDelay: .zero) }

    func accepts(_ key: String?) -> Bool {
        guard let key, !key.isEmpty else { return false }
        return acceptedKeys?.contains(key) ?? true
    }
}
