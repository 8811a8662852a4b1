/// Settings of an `OpenRouterSimulator`; the defaults imitate openrouter.ai.
public struct OpenRouterConfiguration: Sendable {
    /// The chat models served (and listed by `/models`).
    public var models: [SimulatedModel]
    /// Embedding models accepted by `/embeddings`.
    public var embeddingModels: [String]
    /// How long `/generation` answers 404 after a generation finishes (per key: `generation_delay_ms`).
    public var generationDelay: Duration
    /// Pause between two content chunks when the request sets no `tps`.
    public var chunkDelay: Duration
    /// A `: OPENROUTER PROCESSING` comment is sent before the first token and then every this many
    /// content chunks (`0`: only the first).
    public var keepAliveEveryChunks: Int
    /// While waiting for the first token, a keep-alive comment is sent this often.
    public var keepAliveInterval: Duration
    /// Answer length in tokens when the request sets neither `tokens` nor `max_tokens`.
    public var defaultReplyTokens: Int
    /// Keys with this prefix are accepted without being registered; `nil` accepts only known keys.
    public var acceptedKeyPrefix: String?
    /// Keys with this prefix are management keys without being registered; `nil` disables it.
    public var managementKeyPrefix: String?
    /// A stalled answer gives up after this long even if the client stays.
    public var stallTimeout: Duration
    /// What `/credits` reports as purchased.
    public var totalCredits: USDNanos
    /// `Retry-After` seconds on a simulated 429.
    public var retryAfterSeconds: Int
    /// Dimensions of the vectors `/embeddings` returns.
    public var embeddingDimensions: Int
    /// How amounts are written as JSON numbers (`usage.cost`, `/generation`, `/activity`, `/key`,
    /// `/keys`, `/credits` usages): rotating through OpenRouter's textual forms by default.
    public var costForms: CostForms

    public init(
        models: [SimulatedModel] = SimulatedModel.openRouterDefaults,
        embeddingModels: [String] = ["openai/text-embedding-3-small", "openai/text-embedding-3-large", "mistralai/mistral-embed-2312"],
        generationDelay: Duration = .seconds(2),
        chunkDelay: Duration = .milliseconds(10),
        keepAliveEveryChunks: Int = 16,
        keepAliveInterval: Duration = .seconds(1),
        defaultReplyTokens: Int = 40,
        acceptedKeyPrefix: String? = "sk-or-",
        managementKeyPrefix: String? = "sk-or-v1-mgmt-",
        stallTimeout: Duration = .seconds(300),
        totalCredits: USDNanos = USDNanos(nanos: 100_000_000_000),
        retryAfterSeconds: Int = 2,
        embeddingDimensions: Int = 384,
        costForms: CostForms = .rotating(seed: 0)
    ) {
        self.models = models
        self.embeddingModels = embeddingModels
        self.generationDelay = generationDelay
        self.chunkDelay = chunkDelay
        self.keepAliveEveryChunks = keepAliveEveryChunks
        self.keepAliveInterval = keepAliveInterval
        self.defaultReplyTokens = defaultReplyTokens
        self.acceptedKeyPrefix = acceptedKeyPrefix
        self.managementKeyPrefix = managementKeyPrefix
        self.stallTimeout = stallTimeout
        self.totalCredits = totalCredits
        self.retryAfterSeconds = retryAfterSeconds
        self.embeddingDimensions = embeddingDimensions
        self.costForms = costForms
    }

    /// Settings for fast tests: no pacing and no keep-alive pauses; the generation delay stays (tests
    /// move the clock).
    public static var testing: OpenRouterConfiguration {
        OpenRouterConfiguration(chunkDelay: .zero, keepAliveEveryChunks: 4, keepAliveInterval: .milliseconds(50))
    }
}
