import HTTPTypes
import Foundation
import Hummingbird
import NIOCore

/// `POST /api/chat/completions` (the web UI; saves into a chat when `chat_id` is given) and
/// `POST /v1/chat/completions` (OpenAI-compatible, for SDKs with an employee's API key).
/// Streams are relayed chunk by chunk as they arrive.
struct CompletionsController {
    let services: AgentServices
    /// Seconds between keep-alive comments while the provider is silent; a write to a client that
    /// went away fails, which cancels the upstream request even during a stall.
    var keepAliveInterval: Duration = .seconds(5)

    func addRoutes(to routes: RouteRegistrar) {
        routes.post("/api/chat/completions", .user) { request, context in
            try await self.complete(request, context: context, savesChat: true, defaultStream: true)
        }
        routes.post("/v1/chat/completions", .user) { request, context in
            try await self.complete(request, context: context, savesChat: false, defaultStream: false)
        }
    }

    func complete(_ request: Request, context: AgentRequestContext, savesChat: Bool, defaultStream: Bool) async throws -> Response {
        var request = request
        let identity = try context.requireIdentity()
        let form = try await request.decodeJSON(as: CompletionForm.self, limit: 8 << 20)
        let service = CompletionService(services: services)
        let plan = try await service.plan(form, identity: identity, savesChat: savesChat)
        let streamed = form.stream ?? defaultStream
        let upstream: AsyncThrowingStream<ProviderEvent, any Error>
        do {
            upstream = try await service.start(plan, identity: identity, streamed: streamed)
        } catch let error as ProviderError {
            throw Self.apiError(error)
        }
        var headers: HTTPFields = [:]
        if let chatID = plan.chatID { headers[.chatID] = chatID }
        if let id = plan.assistantMessageID { headers[.messageID] = id }
        if let id = plan.userMessageID { headers[.userMessageID] = id }
        guard streamed else {
            let outcome = await service.relay(plan, identity: identity, stream: upstream, streamed: false) { _ in }
            if let failure = outcome.failure, outcome.text.isEmpty { throw Self.apiError(failure) }
            return try Self.completionResponse(plan: plan, outcome: outcome, created: services.clock.seconds, headers: headers)
        }
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[.xAccelBuffering] = "no"
        let encoder = ChunkEncoder(id: "chatcmpl-\(UUID().uuidString.lowercased())", model: plan.entry.id, created: services.clock.seconds)
        let interval = keepAliveInterval
        let body = ResponseBody { writer in
            // One consumer writes; the provider and a keep-alive ticker feed it.
            let (items, feed) = AsyncStream<StreamItem>.makeStream()
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    feed.yield(.tick)
                }
            }
            if let sources = Self.sourcesEvent(plan.sources) { feed.yield(.data(sources)) }
            let relay = Task {
                var chunkEncoder = encoder
                var usage: TokenUsage?
                _ = await service.relay(plan, identity: identity, stream: upstream, streamed: true) { event in
                    switch event {
                    case .started(let id, _):
                        if let id { chunkEncoder = ChunkEncoder(id: id, model: encoder.model, created: encoder.created) }
                        if case .terminated = feed.yield(.data(chunkEncoder.roleChunk())) { throw CancellationError() }
                        return
                    case .usage(let reported):
                        usage = reported
                        return
                    default: break
                    }
                    guard let buffer = Self.render(event, encoder: chunkEncoder, usage: usage) else { return }
                    // `yield` reports a consumer that stopped listening: the client went away.
                    if case .terminated = feed.yield(.data(buffer)) { throw CancellationError() }
                }
                feed.yield(.end)
            }
            defer {
                ticker.cancel()
                relay.cancel()
                feed.finish()
            }
            for await item in items {
                switch item {
                case .data(let buffer): try await writer.write(buffer)
                case .tick: try await writer.write(ChunkEncoder.keepAlive)
                case .end:
                    try await writer.write(ChunkEncoder.done)
                    try await writer.finish(nil)
                    return
                }
            }
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    enum StreamItem: Sendable {
        case data(ByteBuffer)
        case tick
        case end
    }

    /// `data: {"sources": [...]}` before the answer, as Open WebUI sends it: the passages the
    /// numbered citations in the answer refer to.
    static func sourcesEvent(_ sources: [Citation]) -> ByteBuffer? {
        guard !sources.isEmpty, let json = try? JSONEncoder().encode(["sources": sources]) else { return nil }
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    /// The SSE bytes for one provider event (the final chunk carries usage).
    static func render(_ event: ProviderEvent, encoder: ChunkEncoder, usage: TokenUsage?) -> ByteBuffer? {
        switch event {
        case .started: nil
        case .text(let text): encoder.textChunk(text)
        case .usage: nil
        case .finished(let reason): encoder.finishChunk(reason: reason, usage: usage)
        case .failed(let error): encoder.errorChunk(status: apiError(error).status.code, message: apiError(error).detail)
        }
    }

    /// How a provider failure is told to the employee: the provider's reason, with a status that
    /// does not blame their own credentials.
    static func apiError(_ error: ProviderError) -> APIError {
        switch error.status {
        case 401, 403:
            APIError(.badGateway, "The model provider refused this instance's key (\(error.status): \(error.message)). Tell your administrator.")
        case 402:
            APIError(.init(code: 402, reasonPhrase: "Payment Required"), "The model provider says the credits are used up (\(error.message)). Tell your administrator.")
        case 429:
            APIError(.tooManyRequests, "The model provider is rate-limiting requests (\(error.message)). Try again shortly.",
                     headers: error.retryAfter.map { [.retryAfter: String($0)] } ?? [:])
        case 400, 404, 413, 422:
            APIError(.badRequest, "The model provider rejected the request: \(error.message)")
        case 504, 408, 524:
            APIError(.gatewayTimeout, "The model provider did not answer in time (\(error.message)). Try again.")
        default:
            APIError(.badGateway, "The model provider failed (\(error.status): \(error.message)). Try again or pick another model.")
        }
    }

    struct CompletionResponse: Encodable {
        struct Choice: Encodable {
            struct Message: Encodable {
                var role = "assistant"
                var content: String
            }
            var index = 0
            var message: Message
            var finish_reason: String
        }
        struct Usage: Encodable {
            var prompt_tokens: Int
            var completion_tokens: Int
            var total_tokens: Int
            var cost: Decimal?
        }
        var id: String
        var object = "chat.completion"
        var created: Int64
        var model: String
        var choices: [Choice]
        var usage: Usage?
        var error: [String: String]?
    }

    static func completionResponse(plan: CompletionService.Plan, outcome: CompletionService.Outcome, created: Int64, headers: HTTPFields) throws -> Response {
        let usage = outcome.usage.map {
            CompletionResponse.Usage(prompt_tokens: $0.promptTokens, completion_tokens: $0.completionTokens, total_tokens: $0.totalTokens,
                                     cost: $0.reportedCost.flatMap { Decimal(string: $0.formatted(decimals: 9)) })
        }
        let body = CompletionResponse(
            id: outcome.upstreamID ?? "chatcmpl-\(UUID().uuidString.lowercased())", created: created, model: plan.entry.id,
            choices: [.init(message: .init(content: outcome.text), finish_reason: outcome.finishReason)], usage: usage,
            error: outcome.failure.map { ["message": apiError($0).detail] }
        )
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: try JSONEncoder().encode(body))))
    }
}

extension HTTPField.Name {
    static let chatID = Self("X-Chat-Id")!
    static let messageID = Self("X-Message-Id")!
    static let userMessageID = Self("X-User-Message-Id")!
    static let xAccelBuffering = Self("X-Accel-Buffering")!
}
