import GRDB

/// One completion as the agent recorded it when the stream ended (`generations`).
public struct GenerationRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "generations"

    public var id: String
    /// The provider's id (`gen-…` for OpenRouter), looked up later to confirm the cost.
    public var upstreamID: String?
    public var userID: String
    /// The pseudonymous id sent upstream as `user`.
    public var externalUser: String?
    public var chatID: String?
    public var messageID: String?
    public var connectionID: String
    public var provider: String
    public var model: String
    public var promptTokens: Int
    public var completionTokens: Int
    /// True when the provider reported no usage and the counts were estimated from the text.
    public var tokensEstimated: Bool
    /// The cost the provider reported in the stream, in nano-dollars.
    public var reportedCostNanos: Int64?
    /// `provisional` until confirmed by the usage service.
    public var status: String
    public var finishReason: String
    public var streamed: Bool
    public var firstTokenMs: Int?
    public var durationMs: Int
    public var createdAt: Int64
    /// sha256 hex of the OpenRouter key that served it (confirmation uses the same key).
    public var keyHash: String? = nil
    /// Tokens × the model's listed price: the cost for providers that report none.
    public var estimatedCostNanos: Int64? = nil
    /// OpenRouter's `total_cost` from `GET /generation`: wins over the streamed figure.
    public var confirmedCostNanos: Int64? = nil
    public var nativePromptTokens: Int? = nil
    public var nativeCompletionTokens: Int? = nil
    public var providerName: String? = nil
    public var confirmedAt: Int64? = nil
    /// Confirmation attempts so far and when the next may run (Unix seconds).
    public var attempts: Int = 0
    public var nextAttemptAt: Int64 = 0
    public var lastError: String? = nil

    /// The cost that counts: confirmed, else reported in the stream, else estimated.
    public var effectiveCostNanos: Int64 {
        switch status {
        case GenerationStatus.confirmed.rawValue: confirmedCostNanos ?? 0
        case GenerationStatus.estimated.rawValue: estimatedCostNanos ?? 0
        case GenerationStatus.refused.rawValue: 0
        default: reportedCostNanos ?? estimatedCostNanos ?? 0
        }
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, provider, model, status, streamed
        case upstreamID = "upstream_id"
        case userID = "user_id"
        case externalUser = "external_user"
        case chatID = "chat_id"
        case messageID = "message_id"
        case connectionID = "connection_id"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case tokensEstimated = "tokens_estimated"
        case reportedCostNanos = "reported_cost_nanos"
        case finishReason = "finish_reason"
        case firstTokenMs = "first_token_ms"
        case durationMs = "duration_ms"
        case createdAt = "created_at"
        case keyHash = "key_hash"
        case estimatedCostNanos = "estimated_cost_nanos"
        case confirmedCostNanos = "confirmed_cost_nanos"
        case nativePromptTokens = "native_prompt_tokens"
        case nativeCompletionTokens = "native_completion_tokens"
        case providerName = "provider_name"
        case confirmedAt = "confirmed_at"
        case attempts
        case nextAttemptAt = "next_attempt_at"
        case lastError = "last_error"
    }
}

/// Where a generation's cost stands.
public enum GenerationStatus: String, Sendable, Codable, CaseIterable {
    /// Booked from the stream; waiting for OpenRouter's confirmation.
    case provisional
    /// OpenRouter's `GET /generation` gave the authoritative cost.
    case confirmed
    /// No confirmation within 24 hours (still asked about for 30 days), or never named by
    /// OpenRouter: the streamed or estimated cost stands until OpenRouter's record settles it.
    case unverified
    /// A provider that reports no cost: tokens × listed price.
    case estimated
    /// The provider turned the request down before it began (an HTTP error answer): nothing was
    /// spent and nothing is counted. The row stays as the record that the request left.
    case refused
}
