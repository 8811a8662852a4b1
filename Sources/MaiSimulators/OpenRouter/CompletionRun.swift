import Foundation

/// Everything fixed about one chat completion before its first byte: ids, model, plan, pacing.
struct CompletionRun: Sendable {
    var id: String
    var model: SimulatedModel
    var key: SimulatedKey
    var created: Int64
    var createdAt: Date
    var user: String?
    var sessionID: String?
    var promptTokens: Int
    var mediaCount: Int
    var plan: ReplyPlan
    var behavior: SimBehavior
    var chunkDelay: Duration
    var streamed: Bool
    /// 0, 1, 2… in the order completions started.
    var serial: UInt64
    /// How amounts are written.
    var forms: CostForms

    /// `stop`, or `length` when `max_tokens` cut the answer.
    var naturalFinishReason: String { plan.truncated ? "length" : "stop" }

    /// A fresh generation id, `gen-<unix seconds>-<20 letters and digits>`.
    static func newID(now: Int64) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return "gen-\(now)-" + String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// The text of `usage.cost` for `completionTokens` tokens: the exact cost in this run's form.
    func costText(completionTokens: Int) -> String {
        forms.text(model.exactCost(promptTokens: promptTokens, completionTokens: completionTokens), counter: serial, field: 0)
    }

    /// The `usage` object for `completionTokens` tokens of this run.
    func usage(completionTokens: Int) -> JSONValue {
        let promptCost = model.promptPrice * promptTokens + model.requestPrice
        let completionCost = model.completionPrice * completionTokens
        return .object([
            ("prompt_tokens", .int(promptTokens)),
            ("completion_tokens", .int(completionTokens)),
            ("total_tokens", .int(promptTokens + completionTokens)),
            ("cost", .number(costText(completionTokens: completionTokens))),
            ("is_byok", .bool(false)),
            ("prompt_tokens_details", .object([("cached_tokens", .int(0)), ("audio_tokens", .int(0))])),
            ("cost_details", .object([
                ("upstream_inference_cost", .null),
                ("upstream_inference_prompt_cost", .number(forms.text(promptCost, counter: serial, field: 4))),
                ("upstream_inference_completions_cost", .number(forms.text(completionCost, counter: serial, field: 5))),
            ])),
            ("completion_tokens_details", .object([("reasoning_tokens", .int(0)), ("image_tokens", .int(0))])),
        ])
    }

    /// The record of this run after `sentPieces` content chunks; `costSent` when a `usage.cost` went out.
    func record(
        sentPieces: Int, finishReason: String?, cancelled: Bool, latencyMs: Int, generationTimeMs: Int, finishedAt: Date,
        costSent: Bool = false
    ) -> GenerationRecord {
        let sent = min(sentPieces, plan.pieces.count)
        let exact = model.exactCost(promptTokens: promptTokens, completionTokens: sent)
        return GenerationRecord(
            id: id, model: model.id, providerName: model.providerName, keyHash: key.hash, user: user,
            sessionID: sessionID, promptTokens: promptTokens, completionTokens: sent,
            cost: USDNanos(nanos: exact.roundedNanos), exactCost: exact,
            costText: costSent ? costText(completionTokens: sent) : nil, serial: serial, createdAt: createdAt,
            finishedAt: finishedAt, streamed: streamed, cancelled: cancelled, finishReason: finishReason,
            latencyMs: latencyMs, generationTimeMs: generationTimeMs, numMediaPrompt: mediaCount,
            text: plan.pieces.prefix(sent).joined())
    }
}
