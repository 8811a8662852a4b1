import Foundation
import MaiCore

/// A model provider: lists its models and streams chat completions. One implementation per wire
/// protocol (OpenAI-compatible, Anthropic Messages, Gemini); tests run them against the simulators.
protocol ChatProvider: Sendable {
    /// The models this connection offers.
    func models() async throws -> [ProviderModel]
    /// Starts a completion. Errors before the first token are thrown (as `ProviderError`); after
    /// that they arrive as a `.failed` event. Cancelling the consuming task cancels the upstream call.
    func stream(_ request: ProviderChatRequest) async throws -> AsyncThrowingStream<ProviderEvent, any Error>
}

/// What the agent asks a provider for.
struct ProviderChatRequest: Sendable {
    struct Message: Sendable, Equatable {
        var role: String
        var content: String
    }

    /// The provider's own model id.
    var model: String
    var messages: [Message]
    /// Sampling options passed through when the provider knows them (`temperature`, `max_tokens`,
    /// `top_p`, `stop`, `seed`, `frequency_penalty`, `presence_penalty`), as JSON values.
    var options: [String: JSONValue] = [:]
    /// Pseudonymous end-user id (OpenRouter's `user`).
    var user: String?
    /// Conversation id (OpenRouter's `session_id`).
    var sessionID: String?
    /// Called with the provider's generation id as soon as the response head names it
    /// (OpenRouter's `X-Generation-Id`), before `stream` returns.
    var onNamed: (@Sendable (String) async -> Void)?
}

/// One thing that happened in a stream.
enum ProviderEvent: Sendable, Equatable {
    /// The upstream's id for this generation (`gen-…`, `msg_…`, …) and model, once known.
    case started(id: String?, model: String?)
    /// More answer text.
    case text(String)
    /// Token counts and, when the provider reports it, the cost.
    case usage(TokenUsage)
    /// The answer ended normally (`stop`, `length`, …).
    case finished(reason: String)
    /// The provider reported an error after the answer had started.
    case failed(ProviderError)
}

/// Token counts of one generation.
struct TokenUsage: Sendable, Equatable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }
    /// The provider's own cost figure (OpenRouter's `usage.cost`), exact.
    var reportedCost: Money?
}

/// A model as a provider lists it.
struct ProviderModel: Sendable, Equatable {
    var id: String
    var name: String
    var contextLength: Int?
    /// USD per prompt / completion token, as the exact decimal text the provider gave.
    var promptPrice: String?
    var completionPrice: String?
    var created: Int64?
}

/// An upstream failure, with the provider's own reason and the status to report downstream.
struct ProviderError: Error, Sendable, Equatable {
    /// HTTP status the upstream answered (or 502/504 for transport failures).
    var status: Int
    /// The upstream's message, or ours for transport failures.
    var message: String
    /// Seconds the upstream asked us to wait (429 `Retry-After`).
    var retryAfter: Int?
    /// A short machine-readable kind: `auth`, `credits`, `rate_limit`, `upstream`, `timeout`, `network`, `bad_request`,
    /// `blocked_address` (the outbound policy refused the address).
    var kind: String
    /// True when the provider itself answered with this error status (it turned the request down);
    /// false for transport failures, where the request may have reached it.
    var answered = false

    static func forStatus(_ status: Int, message: String, retryAfter: Int? = nil) -> ProviderError {
        let kind = switch status {
        case 401, 403: "auth"
        case 402: "credits"
        case 429: "rate_limit"
        case 400, 404, 413, 422: "bad_request"
        case 408, 504, 524: "timeout"
        default: "upstream"
        }
        var error = ProviderError(status: status, message: message, retryAfter: retryAfter, kind: kind)
        error.answered = true
        return error
    }

    /// The outbound policy refused the address: nothing was sent (so nothing can have been
    /// spent, like an answered refusal).
    static func blocked(_ refusal: OutboundRefusal) -> ProviderError {
        var error = ProviderError(status: 502, message: refusal.message, kind: "blocked_address")
        error.answered = true
        return error
    }
}
