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
    }
}
