import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A local stand-in for Anthropic's Messages API: `POST /v1/messages` (streamed or not) and
/// `GET /v1/models`, with the same `[[sim:…]]` directives and deterministic answers as the
/// OpenRouter simulator.
public struct AnthropicSimulator: Sendable {
    public let configuration: ProviderSimulatorConfiguration
    let clock: SimulatorClock
    let logger: Logger

    /// The models listed and accepted (`id`, `display_name`).
    public static let models: [(id: String, displayName: String, createdAt: String)] = [
        ("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z"),
        ("claude-3-5-sonnet-20241022", "Claude Sonnet 3.5 (New)", "2024-10-22T00:00:00Z"),
        ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z"),
    ]

    public init(configuration: ProviderSimulatorConfiguration = ProviderSimulatorConfiguration(), clock: SimulatorClock = .system, logger: Logger = Logger(label: "mai.sim.anthropic")) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// Adds `/v1/messages` and `/v1/models` to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post("v1/messages") { request, _ in try await messages(request) }
        router.get("v1/models") { request, _ in try listModels(request) }
    }

    /// A router with only this simulator's routes.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router)
        return router
    }

    /// An Anthropic error response.
    struct AnthropicError: Error, HTTPResponseError {
        let code: Int
        let type: String
        let message: String
        var headers: HTTPFields = [:]

        var status: HTTPResponse.Status { HTTPResponse.Status(code: code) }

        var body: JSONValue {
            .object([("type", .string("error")), ("error", .object([("type", .string(type)), ("message", .string(message))]))])
        }

        func response(from request: Request, context: some RequestContext) -> Response {
            SimulatorResponses.json(body, status: status, headers: headers)
        }

        static func simulated(_ code: Int, retryAfter: Int) -> AnthropicError {
            switch code {
            case 400: AnthropicError(code: 400, type: "invalid_request_error", message: "Invalid request (simulated)")
            case 401: AnthropicError(code: 401, type: "authentication_error", message: "invalid x-api-key")
            case 402: AnthropicError(code: 402, type: "billing_error", message: "Your credit balance is too low (simulated)")
            case 403: AnthropicError(code: 403, type: "permission_error", message: "Your API key does not have permission (simulated)")
            case 429:
                AnthropicError(code: 429, type: "rate_limit_error", message: "Number of requests has exceeded your rate limit (simulated)",
                               headers: [.retryAfter: String(retryAfter)])
            case 529: AnthropicError(code: 529, type: "overloaded_error", message: "Overloaded")
            default: AnthropicError(code: code, type: "api_error", message: "Internal server error (simulated)")
            }
        }
    }

    struct MessagesRequest: Decodable {
        struct Message: Decodable {
            var role: String
            var content: MessageContent?
        }
        var model: String?
        var messages: [Message]?
        var system: MessageContent?
        var maxTokens: Int?
        var stream: Bool?

        enum CodingKeys: String, CodingKey {
            case model, messages, system, stream
            case maxTokens = "max_tokens"
        }
    }

    private func authenticate(_ request: Request) throws {
        guard let key = request.headers[HTTPField.Name("x-api-key")!], !key.isEmpty else {
            throw AnthropicError(code: 401, type: "authentication_error", message: "x-api-key header is required")
        }
        guard configuration.accepts(key) else {
            throw AnthropicError(code: 401, type: "authentication_error", message: "invalid x-api-key")
        }
    }

    func listModels(_ request: Request) throws -> Response {
        try authenticate(request)
        let data: [JSONValue] = Self.models.map {
            .object([("type", .string("model")), ("id", .string($0.id)), ("display_name", .string($0.displayName)), ("created_at", .string($0.createdAt))])
        }
        return SimulatorResponses.json(.object([
            ("data", .array(data)), ("has_more", .bool(false)),
            ("first_id", .string(Self.models.first?.id)), ("last_id", .string(Self.models.last?.id)),
        ]))
    }

    func messages(_ incoming: Request) async throws -> Response {
        var request = incoming
        try authenticate(request)
        let buffer = try await request.collectBody(upTo: 16 * 1024 * 1024)
        guard let body = try? JSONDecoder().decode(MessagesRequest.self, from: Data(buffer: buffer)) else {
            throw AnthropicError(code: 400, type: "invalid_request_error", message: "Invalid JSON body: send {model, max_tokens, messages}.")
        }
        guard let model = body.model, Self.models.contains(where: { $0.id == model }) else {
            throw AnthropicError(code: 404, type: "not_found_error", message: "model: \(body.model ?? "")")
        }
        guard let maxTokens = body.maxTokens else {
            throw AnthropicError(code: 400, type: "invalid_request_error", message: "max_tokens: Field required")
        }
        guard let messages = body.messages, !messages.isEmpty else {
            throw AnthropicError(code: 400, type: "invalid_request_error", message: "messages: at least one message is required")
        }
        if messages.contains(where: { $0.role == "system" }) {
            throw AnthropicError(code: 400, type: "invalid_request_error", message: "messages: Unexpected role \"system\". Use the top-level `system` parameter.")
        }
        let prompt = PromptText(
            messages: [body.system?.text ?? ""] + messages.map { $0.content?.text ?? "" },
            lastUser: messages.last { $0.role == "user" }?.content?.text ?? "").resolved()
        if let code = prompt.behavior.error { throw AnthropicError.simulated(code, retryAfter: configuration.retryAfterSeconds) }
        let plan = ReplyPlan(
            behavior: prompt.behavior, lastUserText: prompt.lastUserText, promptText: prompt.promptText,
            maxTokens: maxTokens, defaultTokens: configuration.defaultReplyTokens)
        let id = "msg_sim" + CompletionRun.newID(now: 0).dropFirst(6)
        let stopReason = plan.truncated ? "max_tokens" : "end_turn"
        guard body.stream == true else {
            try await clock.sleep(for: .milliseconds(prompt.behavior.latencyMs ?? 0))
            if prompt.behavior.midstreamError || prompt.behavior.stall {
                throw AnthropicError.simulated(529, retryAfter: configuration.retryAfterSeconds)
            }
            return SimulatorResponses.json(.object([
                ("id", .string(id)), ("type", .string("message")), ("role", .string("assistant")), ("model", .string(model)),
                ("content", .array([.object([("type", .string("text")), ("text", .string(plan.text))])])),
                ("stop_reason", .string(stopReason)), ("stop_sequence", .null),
                ("usage", .object([("input_tokens", .int(prompt.promptTokens)), ("output_tokens", .int(plan.tokenCount))])),
            ]))
        }
        let behavior = prompt.behavior
        let delay = behavior.chunkDelay(default: configuration.chunkDelay)
        let captured = request
        return Response(status: .ok, headers: SimulatorResponses.eventStreamHeaders, body: ResponseBody { writer in
            try await captured.body.consumeWithCancellationOnInboundClose { _ in
                func event(_ name: String, _ data: JSONValue) -> ByteBuffer {
                    ByteBuffer(string: "event: \(name)\ndata: \(data.rendered)\n\n")
                }
                try await writer.write(event("message_start", .object([("type", .string("message_start")), ("message", .object([
                    ("id", .string(id)), ("type", .string("message")), ("role", .string("assistant")), ("model", .string(model)),
                    ("content", .array([])), ("stop_reason", .null), ("stop_sequence", .null),
                    ("usage", .object([("input_tokens", .int(prompt.promptTokens)), ("output_tokens", .int(1))])),
                ]))])))
                if behavior.stall {
                    try await clock.sleep(for: configuration.stallTimeout)
                    throw AbruptClose()
                }
                try await clock.sleep(for: .milliseconds(behavior.latencyMs ?? 0))
                try await writer.write(event("content_block_start", .object([
                    ("type", .string("content_block_start")), ("index", .int(0)),
                    ("content_block", .object([("type", .string("text")), ("text", .string(""))])),
                ])))
                try await writer.write(event("ping", .object([("type", .string("ping"))])))
                let errorAt = behavior.midstreamError ? max(1, plan.pieces.count / 2) : Int.max
                for (index, piece) in plan.pieces.enumerated() {
                    if let cut = behavior.cutAfter, index >= cut { throw AbruptClose() }
                    if index == errorAt {
                        try await writer.write(event("error", .object([("type", .string("error")), ("error", .object([
                            ("type", .string("overloaded_error")), ("message", .string("Overloaded")),
                        ]))])))
                        return
                    }
                    if index > 0 { try await clock.sleep(for: delay) }
                    if index > 0, index % 16 == 0 { try await writer.write(event("ping", .object([("type", .string("ping"))]))) }
                    try await writer.write(event("content_block_delta", .object([
                        ("type", .string("content_block_delta")), ("index", .int(0)),
                        ("delta", .object([("type", .string("text_delta")), ("text", .string(piece))])),
                    ])))
                }
                if let cut = behavior.cutAfter, plan.pieces.count >= cut { throw AbruptClose() }
                try await writer.write(event("content_block_stop", .object([("type", .string("content_block_stop")), ("index", .int(0))])))
                try await writer.write(event("message_delta", .object([
                    ("type", .string("message_delta")),
                    ("delta", .object([("stop_reason", .string(stopReason)), ("stop_sequence", .null)])),
                    ("usage", .object([("output_tokens", .int(plan.tokenCount))])),
                ])))
                try await writer.write(event("message_stop", .object([("type", .string("message_stop"))])))
            }
            try await writer.finish(nil)
        })
    }
}
