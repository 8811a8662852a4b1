import Foundation

/// One generation the OpenRouter simulator served, as `/generation` and `/activity` report it.
public struct GenerationRecord: Sendable, Equatable, Codable {
    /// `gen-…`.
    public var id: String
    public var model: String
    public var providerName: String
    /// SHA-256 hex of the key that made it.
    public var keyHash: String
    /// The `user` field of the request (`external_user`).
    public var user: String?
    public var sessionID: String?
    public var promptTokens: Int
    public var completionTokens: Int
    /// What the generation was charged: `exactCost` rounded half to even to the nano-dollar. This is
    /// what every cost text about it stands for, and what the agent's nano-dollars must equal.
    public var cost: USDNanos
    /// The exact cost, tokens × prices (digits below the nano-dollar when a price has them).
    public var exactCost: SimDecimal
    /// The text written as `usage.cost` in the final chunk or the body (`nil` when none was sent).
    public var costText: String?
    /// 0, 1, 2… in the order completions started: picks the cost texts' forms.
    public var serial: UInt64
    public var createdAt: Date
    /// When the answer ended (normally, with an error, or because the client went away).
    public var finishedAt: Date
    public var streamed: Bool
    /// The client went away before the answer ended.
    public var cancelled: Bool
    /// `stop`, `length`, `error`, or `nil` when the stream was cut or cancelled.
    public var finishReason: String?
    /// Milliseconds to the first token.
    public var latencyMs: Int
    /// Milliseconds from the first to the last token.
    public var generationTimeMs: Int
    public var numMediaPrompt: Int
    /// The answer text actually sent.
    public var text: String

    enum CodingKeys: String, CodingKey {
        case id, model, user, cost, streamed, cancelled, text, serial
        case exactCost = "exact_cost"
        case costText = "cost_text"
        case providerName = "provider_name"
        case keyHash = "key_hash"
        case sessionID = "session_id"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case createdAt = "created_at"
        case finishedAt = "finished_at"
        case finishReason = "finish_reason"
        case latencyMs = "latency"
        case generationTimeMs = "generation_time"
        case numMediaPrompt = "num_media_prompt"
    }

    /// The control API's view (`GET /__sim/generations`).
    var controlJSON: JSONValue {
        .object([
            ("id", .string(id)),
            ("model", .string(model)),
            ("provider_name", .string(providerName)),
            ("key_hash", .string(keyHash)),
            ("user", .string(user)),
            ("session_id", .string(sessionID)),
            ("prompt_tokens", .int(promptTokens)),
            ("completion_tokens", .int(completionTokens)),
            ("cost", cost.json),
            ("cost_nanos", .int(cost.nanos)),
            ("exact_cost", .number(exactCost.plainText)),
            ("cost_text", costText.map { .number($0) } ?? .null),
            ("serial", .int(serial)),
            ("created_at", .string(ISO8601.format(createdAt))),
            ("finished_at", .string(ISO8601.format(finishedAt))),
            ("streamed", .bool(streamed)),
            ("cancelled", .bool(cancelled)),
            ("finish_reason", .string(finishReason)),
            ("latency", .int(latencyMs)),
            ("generation_time", .int(generationTimeMs)),
            ("num_media_prompt", .int(numMediaPrompt)),
            ("text", .string(text)),
        ])
    }

    /// The `/generation` `data` object, every field OpenRouter documents; amounts in `forms`.
    func generationJSON(forms: CostForms) -> JSONValue {
        .object([
            ("id", .string(id)),
            ("upstream_id", .string("chatcmpl-" + id.dropFirst(4))),
            ("request_id", .string("req-\(Int(createdAt.timeIntervalSince1970))-\(id.dropFirst(4).prefix(20))")),
            ("session_id", .string(sessionID)),
            ("total_cost", .number(forms.text(exactCost, counter: serial, field: 1))),
            ("usage", .number(forms.text(exactCost, counter: serial, field: 2))),
            ("upstream_inference_cost", .number(forms.text(exactCost, counter: serial, field: 3))),
            ("cache_discount", .null),
            ("created_at", .string(ISO8601.format(createdAt))),
            ("model", .string(model)),
            ("provider_name", .string(providerName)),
            ("origin", .string("")),
            ("app_id", .null),
            ("external_user", .string(user)),
            ("streamed", .bool(streamed)),
            ("cancelled", .bool(cancelled)),
            ("latency", .int(latencyMs)),
            ("generation_time", .int(generationTimeMs)),
            ("moderation_latency", .null),
            ("tokens_prompt", .int(promptTokens)),
            ("tokens_completion", .int(completionTokens)),
            ("native_tokens_prompt", .int(promptTokens)),
            ("native_tokens_completion", .int(completionTokens)),
            ("native_tokens_reasoning", .int(0)),
            ("native_tokens_cached", .int(0)),
            ("num_media_prompt", .int(numMediaPrompt)),
            ("num_media_completion", .int(0)),
            ("num_search_results", .int(0)),
            ("finish_reason", .string(finishReason)),
            ("native_finish_reason", .string(finishReason)),
            ("is_byok", .bool(false)),
            ("api_type", .string("completions")),
        ])
    }
}

/// ISO 8601 timestamps as OpenRouter writes them.
enum ISO8601 {
    /// `2026-09-21T12:34:56.789Z`.
    static func format(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    /// `YYYY-MM-DD` of `date` in UTC.
    static func day(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash))
    }

    /// Noon UTC of the day `YYYY-MM-DD`, or `nil` when `text` is not such a day.
    static func parseDay(_ text: String) -> Date? {
        guard let date = try? Date(text + "T12:00:00Z", strategy: .iso8601), day(date) == text else { return nil }
        return date
    }
}
