/// How the OpenRouter simulator treats one API key: set through `POST /__sim/keys` or
/// `OpenRouterSimulator.registerKey(_:behavior:)`.
public struct KeyBehavior: Sendable, Equatable, Codable {
    /// Fail every completion with this status before the first token.
    public var error: Int?
    /// Time to first token for every request with this key.
    public var latencyMs: Int?
    /// Tokens per second for every request with this key (`0` = no pacing).
    public var tps: Double?
    /// How long `/generation` answers 404 after this key's generations finish.
    public var generationDelayMs: Int?
    /// A management key (may call `/keys`, `/activity`, `/credits` and read any generation).
    public var management: Bool?
    /// Disabled keys get 401 on completions.
    public var disabled: Bool?
    /// Spending limit in USD (a decimal string or number in JSON).
    public var limit: Double?
    /// A name for `/keys`; a registered key with a name is listed there.
    public var name: String?
    /// Answer every `/generation` lookup with this status (429 carries Retry-After): for testing
    /// a confirmation service against rate limits and error storms.
    public var generationError: Int?
    /// Milliseconds each `/generation` lookup takes (a slow OpenRouter).
    public var generationLatencyMs: Int?
    /// Answer `GET /key` with this status (an agent validating the key then refuses it).
    public var keyError: Int?
    /// `daily`, `weekly` or `monthly`: when the registered key's `limit` resets.
    public var limitReset: String?

    public init(
        error: Int? = nil, latencyMs: Int? = nil, tps: Double? = nil, generationDelayMs: Int? = nil,
        management: Bool? = nil, disabled: Bool? = nil, limit: Double? = nil, name: String? = nil, generationError: Int? = nil,
        generationLatencyMs: Int? = nil, keyError: Int? = nil, limitReset: String? = nil
    ) {
        self.keyError = keyError
        self.limitReset = limitReset
        self.generationLatencyMs = generationLatencyMs
        self.generationError = generationError
        self.error = error
        self.latencyMs = latencyMs
        self.tps = tps
        self.generationDelayMs = generationDelayMs
        self.management = management
        self.disabled = disabled
        self.limit = limit
        self.name = name
    }

    enum CodingKeys: String, CodingKey {
        case error, tps, management, disabled, limit, name
        case latencyMs = "latency_ms"
        case generationDelayMs = "generation_delay_ms"
        case generationError = "generation_error"
        case generationLatencyMs = "generation_latency_ms"
        case keyError = "key_error"
        case limitReset = "limit_reset"
    }

    /// The request-level behaviour this key implies.
    var simBehavior: SimBehavior {
        SimBehavior(error: error, latencyMs: latencyMs, tps: tps)
    }
}
