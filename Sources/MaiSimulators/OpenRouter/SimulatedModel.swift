/// A model the OpenRouter simulator serves, with OpenRouter's catalog fields and exact prices.
public struct SimulatedModel: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Unix seconds.
    public var created: Int
    public var description: String
    public var contextLength: Int
    public var maxCompletionTokens: Int?
    /// USD per prompt token (exact, up to 18 decimals: `0.00000015`, `0.0000000375`).
    public var promptPrice: SimDecimal
    /// USD per completion token.
    public var completionPrice: SimDecimal
    /// USD per request.
    public var requestPrice: SimDecimal
    public var tokenizer: String
    public var inputModalities: [String]
    /// The dated slug `/activity` reports (`model_permaslug`).
    public var permaslug: String
    /// The upstream provider that "served" it.
    public var providerName: String
    public var isModerated: Bool

    public init(
        id: String, name: String, created: Int, description: String, contextLength: Int, maxCompletionTokens: Int?,
        promptPrice: SimDecimal, completionPrice: SimDecimal, requestPrice: SimDecimal = .zero, tokenizer: String,
        inputModalities: [String] = ["text"], permaslug: String, providerName: String, isModerated: Bool = false
    ) {
        self.id = id
        self.name = name
        self.created = created
        self.description = description
        self.contextLength = contextLength
        self.maxCompletionTokens = maxCompletionTokens
        self.promptPrice = promptPrice
        self.completionPrice = completionPrice
        self.requestPrice = requestPrice
        self.tokenizer = tokenizer
        self.inputModalities = inputModalities
        self.permaslug = permaslug
        self.providerName = providerName
        self.isModerated = isModerated
    }

    /// The exact cost of a generation with these token counts (may have digits below the nano-dollar
    /// when a price has more than nine decimals).
    public func exactCost(promptTokens: Int, completionTokens: Int) -> SimDecimal {
        promptPrice * promptTokens + completionPrice * completionTokens + requestPrice
    }

    /// What a generation with these token counts is charged: the exact cost rounded half to even to
    /// the nano-dollar.
    public func cost(promptTokens: Int, completionTokens: Int) -> USDNanos {
        USDNanos(nanos: exactCost(promptTokens: promptTokens, completionTokens: completionTokens).roundedNanos)
    }

    /// A stable endpoint id for `/activity`, derived from the model id.
    public var endpointID: String {
        let hex = String(ReplyPlan.fnv1a(id), radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let tail = String(ReplyPlan.fnv1a(permaslug), radix: 16)
        let paddedTail = String(repeating: "0", count: 16 - tail.count) + tail
        let all = Array(padded + paddedTail)
        return "\(String(all[0..<8]))-\(String(all[8..<12]))-\(String(all[12..<16]))-\(String(all[16..<20]))-\(String(all[20..<32]))"
    }

    /// The `/models` entry, field names as in OpenRouter's spec.
    var catalogEntry: JSONValue {
        let modality = inputModalities.contains("image") ? "text+image->text" : "text->text"
        return .object([
            ("id", .string(id)),
            ("canonical_slug", .string(permaslug)),
            ("name", .string(name)),
            ("created", .int(created)),
            ("description", .string(description)),
            ("context_length", .int(contextLength)),
            ("architecture", .object([
                ("modality", .string(modality)),
                ("input_modalities", .array(inputModalities.map { .string($0) })),
                ("output_modalities", .array([.string("text")])),
                ("tokenizer", .string(tokenizer)),
                ("instruct_type", .null),
            ])),
            ("pricing", .object([
                ("prompt", .string(promptPrice.plainText)),
                ("completion", .string(completionPrice.plainText)),
                ("request", .string(requestPrice.plainText)),
                ("image", .string("0")),
                ("web_search", .string("0")),
                ("internal_reasoning", .string("0")),
            ])),
            ("top_provider", .object([
                ("context_length", .int(contextLength)),
                ("max_completion_tokens", .int(maxCompletionTokens)),
                ("is_moderated", .bool(isModerated)),
            ])),
            ("per_request_limits", .null),
            ("supported_parameters", .array(
                ["max_tokens", "temperature", "top_p", "stop", "frequency_penalty", "presence_penalty", "seed",
                 "tools", "tool_choice", "response_format"].map { .string($0) })),
            ("default_parameters", .null),
        ])
    }
}

extension SimulatedModel {
    private static func usd(_ text: String) -> SimDecimal { SimDecimal(exactly: text)! }

    /// Six realistic chat models with different prices and context lengths.
    public static let openRouterDefaults: [SimulatedModel] = [
        SimulatedModel(
            id: "openai/gpt-4o-mini", name: "OpenAI: GPT-4o-mini", created: 1_721_260_800,
            description: "GPT-4o mini is OpenAI's small, affordable multimodal model.",
            contextLength: 128_000, maxCompletionTokens: 16_384,
            promptPrice: usd("0.00000015"), completionPrice: usd("0.0000006"), tokenizer: "GPT",
            inputModalities: ["text", "image"], permaslug: "openai/gpt-4o-mini-2024-07-18",
            providerName: "OpenAI", isModerated: true),
        SimulatedModel(
            id: "anthropic/claude-3.5-sonnet", name: "Anthropic: Claude 3.5 Sonnet", created: 1_729_555_200,
            description: "Claude 3.5 Sonnet delivers strong coding and reasoning at mid-tier speed.",
            contextLength: 200_000, maxCompletionTokens: 8_192,
            promptPrice: usd("0.000003"), completionPrice: usd("0.000015"), tokenizer: "Claude",
            inputModalities: ["text", "image"], permaslug: "anthropic/claude-3.5-sonnet-20241022",
            providerName: "Anthropic", isModerated: true),
        SimulatedModel(
            id: "google/gemini-2.0-flash-001", name: "Google: Gemini 2.0 Flash", created: 1_738_769_413,
            description: "Gemini 2.0 Flash offers fast time to first token and a long context window.",
            contextLength: 1_048_576, maxCompletionTokens: 8_192,
            promptPrice: usd("0.0000001"), completionPrice: usd("0.0000004"), tokenizer: "Gemini",
            inputModalities: ["text", "image"], permaslug: "google/gemini-2.0-flash-001",
            providerName: "Google"),
        SimulatedModel(
            id: "meta-llama/llama-3.1-70b-instruct", name: "Meta: Llama 3.1 70B Instruct", created: 1_721_692_800,
            description: "Meta's 70B instruction-tuned Llama 3.1 model.",
            contextLength: 131_072, maxCompletionTokens: nil,
            promptPrice: usd("0.00000012"), completionPrice: usd("0.0000003"), tokenizer: "Llama3",
            permaslug: "meta-llama/llama-3.1-70b-instruct", providerName: "DeepInfra"),
        SimulatedModel(
            id: "mistralai/mistral-small-24b-instruct-2501", name: "Mistral: Mistral Small 3", created: 1_738_255_409,
            description: "Mistral Small 3 is a 24B-parameter model optimised for low latency.",
            contextLength: 32_768, maxCompletionTokens: 32_768,
            promptPrice: usd("0.00000005"), completionPrice: usd("0.00000008"), tokenizer: "Mistral",
            permaslug: "mistralai/mistral-small-24b-instruct-2501", providerName: "Mistral"),
        SimulatedModel(
            id: "deepseek/deepseek-chat", name: "DeepSeek: DeepSeek V3", created: 1_735_241_320,
            description: "DeepSeek V3, a mixture-of-experts chat model.",
            contextLength: 163_840, maxCompletionTokens: 163_840,
            promptPrice: usd("0.00000038"), completionPrice: usd("0.00000089"), tokenizer: "DeepSeek",
            permaslug: "deepseek/deepseek-chat-v3", providerName: "DeepSeek"),
    ]

    /// A cheap model whose prices have digits below the nano-dollar ($0.0025 and $0.0375 per million
    /// tokens), so its costs need rounding: an odd number of prompt tokens costs a half nano-dollar
    /// more than a whole one. Not in `openRouterDefaults`; tests add it to exercise the rounding rule.
    public static let subNanoPriced = SimulatedModel(
        id: "sim/sub-nano-3b", name: "Simulator: Sub-nano 3B", created: 1_760_000_000,
        description: "A tiny model priced below a nano-dollar per token.",
        contextLength: 32_768, maxCompletionTokens: 8_192,
        promptPrice: usd("0.0000000025"), completionPrice: usd("0.0000000375"), tokenizer: "Llama3",
        permaslug: "sim/sub-nano-3b-2025-10", providerName: "Simulator")
}
