import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// A local stand-in for Google's Gemini API: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`,
/// `:generateContent` and `GET /v1beta/models`, with the same `[[sim:…]]` directives and deterministic
/// answers as the OpenRouter simulator. The last chunk carries a part with only a `thoughtSignature`,
/// which clients must skip.
public struct GeminiSimulator: Sendable {
    public let configuration: ProviderSimulatorConfiguration
    let clock: SimulatorClock
    let logger: Logger

    /// The models listed and accepted.
    public static let models: [(name: String, displayName: String, input: Int, output: Int)] = [
        ("gemini-2.0-flash", "Gemini 2.0 Flash", 1_048_576, 8_192),
        ("gemini-2.5-flash", "Gemini 2.5 Flash", 1_048_576, 65_536),
        ("gemini-2.5-pro", "Gemini 2.5 Pro", 1_048_576, 65_536),
    ]

    /// Content pieces per streamed chunk (Gemini sends several tokens at a time).
    static let piecesPerChunk = 3

    public init(configuration: ProviderSimulatorConfiguration = ProviderSimulatorConfiguration(), clock: SimulatorClock = .system, logger: Logger = Logger(label: "mai.sim.gemini")) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// Adds `/v1beta/models` and `/v1beta/models/{model}:{method}` to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("v1beta/models") { request, _ in try listModels(request) }
        router.post("v1beta/models/:call") { request, context in
            try await generate(request, call: context.parameters.get("call") ?? "")
        }
    }

    /// A router with only this simulator's routes.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router)
        return router
    }

    /// A Gemini error response `{"error": {code, message, status}}`.
    struct GeminiError: Error, HTTPResponseError {
        let code: Int
        let message: String
        let statusName: String
        var headers: HTTPFields = [:]

        var status: HTTPResponse.Status { HTTPResponse.Status(code: code) }
        var body: JSONValue {
            .object([("error", .object([("code", .int(code)), ("message", .string(message)), ("status", .string(statusName))]))])
        }

        func response(from request: Request, context: some RequestContext) -> Response {
            SimulatorResponses.json(body, status: status, headers: headers)
        }

        static func simulated(_ code: Int, retryAfter: Int) -> GeminiError {
            switch code {
            case 400: GeminiError(code: 400, message: "Request contains an invalid argument.", statusName: "INVALID_ARGUMENT")
            case 401: GeminiError(code: 401, message: "Request had invalid authentication credentials.", statusName: "UNAUTHENTICATED")
            case 403: GeminiError(code: 403, message: "The caller does not have permission", statusName: "PERMISSION_DENIED")
            case 429:
                GeminiError(code: 429, message: "Resource has been exhausted (e.g. check quota).", statusName: "RESOURCE_EXHAUSTED",
                            headers: [.retryAfter: String(retryAfter)])
            case 503: GeminiError(code: 503, message: "The model is overloaded. Please try again later.", statusName: "UNAVAILABLE")
            case 504: GeminiError(code: 504, message: "Deadline expired before operation could complete.", statusName: "DEADLINE_EXCEEDED")
            default: GeminiError(code: code, message: "An internal error has occurred.", statusName: "INTERNAL")
            }
        }
    }

    struct GenerateRequest: Decodable {
        struct Content: Decodable {
            var role: String?
            var parts: MessageContent?
        }
        struct GenerationConfig: Decodable { var maxOutputTokens: Int? }
        var contents: [Content]?
        var systemInstruction: Content?
        var generationConfig: GenerationConfig?
    }

    private func authenticate(_ request: Request) throws {
        let key = request.headers[HTTPField.Name("x-goog-api-key")!] ?? SimulatorResponses.query(request, "key")
        guard let key, !key.isEmpty else {
            throw GeminiError(code: 403, message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", statusName: "PERMISSION_DENIED")
        }
        guard configuration.accepts(key) else {
            throw GeminiError(code: 400, message: "API key not valid. Please pass a valid API key.", statusName: "INVALID_ARGUMENT")
        }
    }

    func listModels(_ request: Request) throws -> Response {
        try authenticate(request)
        let models: [JSONValue] = Self.models.map {
            .object([
                ("name", .string("models/" + $0.name)), ("version", .string("001")), ("displayName", .string($0.displayName)),
                ("inputTokenLimit", .int($0.input)), ("outputTokenLimit", .int($0.output)),
                ("supportedGenerationMethods", .array([.string("generateContent"), .string("countTokens"), .string("streamGenerateContent")])),
            ])
        }
        return SimulatorResponses.json(.object([("models", .array(models))]))
    }

    func generate(_ incoming: Request, call: String) async throws -> Response {
        var request = incoming
        try authenticate(request)
        let parts = call.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["generateContent", "streamGenerateContent"].contains(parts[1]) else {
            throw GeminiError(code: 404, message: "Method not found: use models/{model}:generateContent or :streamGenerateContent.", statusName: "NOT_FOUND")
        }
        let model = parts[0]
        guard Self.models.contains(where: { $0.name == model }) else {
            throw GeminiError(code: 404, message: "models/\(model) is not found for API version v1beta, or is not supported for generateContent.", statusName: "NOT_FOUND")
        }
        let buffer = try await request.collectBody(upTo: 16 * 1024 * 1024)
        guard let body = try? JSONDecoder().decode(GenerateRequest.self, from: Data(buffer: buffer)),
              let contents = body.contents, !contents.isEmpty else {
            throw GeminiError(code: 400, message: "* GenerateContentRequest.contents: contents is not specified", statusName: "INVALID_ARGUMENT")
        }
        let prompt = PromptText(
            messages: [body.systemInstruction?.parts?.text ?? ""] + contents.map { $0.parts?.text ?? "" },
            lastUser: contents.last { ($0.role ?? "user") == "user" }?.parts?.text ?? "").resolved()
        let behavior = prompt.behavior
        if let code = behavior.error { throw GeminiError.simulated(code, retryAfter: configuration.retryAfterSeconds) }
        let plan = ReplyPlan(
            behavior: behavior, lastUserText: prompt.lastUserText, promptText: prompt.promptText,
            maxTokens: body.generationConfig?.maxOutputTokens, defaultTokens: configuration.defaultReplyTokens)
        let responseID = String(CompletionRun.newID(now: 0).dropFirst(6))
        let finishReason = plan.truncated ? "MAX_TOKENS" : "STOP"
        let signature = JSONValue.object([("thoughtSignature", .string("c2ltdWxhdGVkLXRob3VnaHQtc2lnbmF0dXJl"))])

        @Sendable func chunk(_ partsJSON: [JSONValue], finish: String?, completionTokens: Int) -> JSONValue {
            var candidate: [(String, JSONValue)] = [("content", .object([("parts", .array(partsJSON)), ("role", .string("model"))]))]
            if let finish { candidate.append(("finishReason", .string(finish))) }
            candidate.append(("index", .int(0)))
            return .object([
                ("candidates", .array([.object(candidate)])),
                ("usageMetadata", .object([
                    ("promptTokenCount", .int(prompt.promptTokens)), ("candidatesTokenCount", .int(completionTokens)),
                    ("totalTokenCount", .int(prompt.promptTokens + completionTokens)),
                ])),
                ("modelVersion", .string(model)),
                ("responseId", .string(responseID)),
            ])
        }

        guard parts[1] == "streamGenerateContent" else {
            try await clock.sleep(for: .milliseconds(behavior.latencyMs ?? 0))
            if behavior.midstreamError || behavior.stall { throw GeminiError.simulated(503, retryAfter: configuration.retryAfterSeconds) }
            return SimulatorResponses.json(chunk([.object([("text", .string(plan.text))]), signature], finish: finishReason, completionTokens: plan.tokenCount))
        }
        let delay = behavior.chunkDelay(default: configuration.chunkDelay)
        let captured = request
        return Response(status: .ok, headers: SimulatorResponses.eventStreamHeaders, body: ResponseBody { writer in
            try await captured.body.consumeWithCancellationOnInboundClose { _ in
                func line(_ value: JSONValue) -> ByteBuffer { ByteBuffer(string: "data: " + value.rendered + "\r\n\r\n") }
                if behavior.stall {
                    try await clock.sleep(for: configuration.stallTimeout)
                    throw AbruptClose()
                }
                try await clock.sleep(for: .milliseconds(behavior.latencyMs ?? 0))
                let groups = stride(from: 0, to: plan.pieces.count, by: Self.piecesPerChunk).map {
                    Array(plan.pieces[$0..<min($0 + Self.piecesPerChunk, plan.pieces.count)])
                }
                let errorAt = behavior.midstreamError ? max(1, groups.count / 2) : Int.max
                var sent = 0
                for (index, group) in groups.enumerated() {
                    if let cut = behavior.cutAfter, index >= cut { throw AbruptClose() }
                    if index == errorAt {
                        try await writer.write(line(GeminiError.simulated(503, retryAfter: configuration.retryAfterSeconds).body))
                        return
                    }
                    if index > 0 { try await clock.sleep(for: delay) }
                    sent += group.count
                    let last = index == groups.count - 1
                    var partsJSON: [JSONValue] = [.object([("text", .string(group.joined()))])]
                    if last { partsJSON.append(signature) }
                    try await writer.write(line(chunk(partsJSON, finish: last ? finishReason : nil, completionTokens: sent)))
                }
                if groups.isEmpty {
                    try await writer.write(line(chunk([signature], finish: finishReason, completionTokens: 0)))
                }
                if let cut = behavior.cutAfter, groups.count >= cut { throw AbruptClose() }
            }
            try await writer.finish(nil)
        })
    }
}
