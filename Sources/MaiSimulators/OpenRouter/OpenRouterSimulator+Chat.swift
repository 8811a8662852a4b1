import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension OpenRouterSimulator {
    /// `POST /api/v1/chat/completions`, streamed or not.
    func chatCompletions(_ incoming: Request) async throws -> Response {
        var request = incoming
        let key = try authenticate(request)
        if key.disabled { throw OpenRouterError.disabledKey }
        let body = try await request.collectBody(upTo: 16 * 1024 * 1024)
        let chat: ChatCompletionRequest
        do {
            chat = try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(buffer: body))
        } catch {
            throw OpenRouterError(400, "Invalid JSON body: \(error.localizedDescription). Send an OpenAI-compatible chat request.")
        }
        guard let modelID = chat.model, !modelID.isEmpty else {
            throw OpenRouterError(400, "No model specified: set \"model\" to one of GET /api/v1/models.")
        }
        guard let model = modelsByID[modelID] else {
            throw OpenRouterError(400, "\(modelID) is not a valid model ID")
        }
        guard let messages = chat.messages, !messages.isEmpty else {
            throw OpenRouterError(400, "Input required: specify \"messages\"")
        }
        let prompt = chat.prompt.resolved()
        let behavior = key.behavior.simBehavior.merged(with: prompt.behavior)
        let now = clock.now
        if let code = behavior.error {
            throw OpenRouterError.simulated(code, retryAfterSeconds: configuration.retryAfterSeconds, now: Int64(now.timeIntervalSince1970), model: model)
        }
        if let limit = key.limit, limitUsage(of: key, now: now) >= limit {
            throw OpenRouterError(403, "Key limit exceeded. Raise the key's limit (PATCH /keys/{hash}) or wait for it to reset.")
        }
        let sessionID = chat.sessionID ?? request.headers[HTTPField.Name("x-session-id")!]
        let run = CompletionRun(
            id: CompletionRun.newID(now: Int64(now.timeIntervalSince1970)), model: model, key: key,
            created: Int64(now.timeIntervalSince1970), createdAt: now, user: chat.user.map { String($0.prefix(256)) },
            sessionID: sessionID, promptTokens: prompt.promptTokens, mediaCount: chat.prompt.mediaCount,
            plan: ReplyPlan(
                behavior: behavior, lastUserText: prompt.lastUserText, promptText: prompt.promptText,
                maxTokens: chat.maxCompletionTokens ?? chat.maxTokens, defaultTokens: configuration.defaultReplyTokens),
            behavior: behavior, chunkDelay: behavior.chunkDelay(default: configuration.chunkDelay),
            streamed: chat.stream ?? false, serial: store.withLock { $0.nextSerial() }, forms: configuration.costForms)
        if let wait = behavior.headLatencyMs, wait > 0 {
            try await headLatency(run, request: request, milliseconds: wait)
        }
        if run.streamed {
            let captured = request
            var headers = SimulatorResponses.eventStreamHeaders
            headers[Self.generationIDHeader] = run.id
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in try await self.stream(run, request: captured, writer: &writer) })
        }
        return try await whileRunning(run) { try await complete(run, request: request) }
    }

    /// `X-Generation-Id`: the generation id in the response head, before the first chunk.
    static let generationIDHeader = HTTPField.Name("X-Generation-Id")!

    /// Usage that counts against the key's limit (the current reset period).
    func limitUsage(of key: SimulatedKey, now: Date) -> USDNanos {
        let since = key.limitReset.flatMap { UsagePeriods(now: now).start(of: $0) }
        return store.withLock { $0.usage(keyHash: key.hash, since: since) }
    }

    /// `[[sim:head_latency_ms=N]]`: the generation has started (the prompt is charged from now on)
    /// but the response head — and with it `X-Generation-Id` — comes only after N ms. A client that
    /// goes away meanwhile never learns the generation's id; it is recorded cancelled, as OpenRouter
    /// bills a request it started.
    private func headLatency(_ run: CompletionRun, request: Request, milliseconds: Int) async throws {
        try await whileRunning(run) {
            do {
                try await request.body.consumeWithCancellationOnInboundClose { _ in
                    try await clock.sleep(for: .milliseconds(milliseconds))
                }
            } catch {
                let record = run.record(sentPieces: 0, finishReason: nil, cancelled: true, latencyMs: 0, generationTimeMs: 0, finishedAt: clock.now)
                store.withLock { $0.append(record) }
                throw error
            }
        }
    }

    /// Lists `run` in `GET /__sim/running` until `body` returns or throws.
    private func whileRunning<Value>(_ run: CompletionRun, _ body: () async throws -> Value) async throws -> Value {
        store.withLock { $0.running[run.id] = .init(keyHash: run.key.hash, model: run.model.id, streamed: run.streamed) }
        defer { store.withLock { _ = $0.running.removeValue(forKey: run.id) } }
        return try await body()
    }

    /// Serves a streamed completion; records it however it ends.
    private func stream(_ run: CompletionRun, request: Request, writer: inout any ResponseBodyWriter) async throws {
        store.withLock { $0.running[run.id] = .init(keyHash: run.key.hash, model: run.model.id, streamed: true) }
        defer { store.withLock { _ = $0.running.removeValue(forKey: run.id) } }
        let format = ChatChunkFormatter(run: run)
        let started = ContinuousClock.now
        var firstToken: ContinuousClock.Instant?
        var sent = 0
        var finishReason: String?
        var cancelled = false
        var costSent = false
        var failure: (any Error)?
        do {
            try await request.body.consumeWithCancellationOnInboundClose { _ in
                try await writer.write(ChatChunkFormatter.keepAlive)
                if run.behavior.stall {
                    try await writer.write(format.content(""))
                    try await clock.sleep(for: configuration.stallTimeout)
                    throw AbruptClose()
                }
                try await waitForFirstToken(run, writer: &writer)
                try await writer.write(format.content(""))
                firstToken = ContinuousClock.now
                let pieces = run.plan.pieces
                let errorAt = run.behavior.midstreamError ? max(1, pieces.count / 2) : Int.max
                for (index, piece) in pieces.enumerated() {
                    if let cut = run.behavior.cutAfter, index >= cut { throw AbruptClose() }
                    if index == errorAt { break }
                    if index > 0 {
                        try await clock.sleep(for: run.chunkDelay)
                        if configuration.keepAliveEveryChunks > 0, index % configuration.keepAliveEveryChunks == 0 {
                            try await writer.write(ChatChunkFormatter.keepAlive)
                        }
                    }
                    try await writer.write(format.content(piece))
                    sent = index + 1
                }
                if let cut = run.behavior.cutAfter, sent >= cut { throw AbruptClose() }
                if run.behavior.midstreamError {
                    finishReason = "error"
                    try await writer.write(format.error(code: 502, message: "Provider returned error: upstream stream failed (simulated)"))
                    return
                }
                finishReason = run.naturalFinishReason
                costSent = true
                try await writer.write(format.final(finishReason: run.naturalFinishReason, usage: run.usage(completionTokens: sent)))
                try await writer.write(ChatChunkFormatter.done)
            }
        } catch is AbruptClose {
            finishReason = nil
            failure = AbruptClose()
        } catch {
            finishReason = nil
            cancelled = true
            failure = error
        }
        let ended = ContinuousClock.now
        let first = firstToken ?? ended
        let record = run.record(
            sentPieces: sent, finishReason: finishReason, cancelled: cancelled,
            latencyMs: Self.milliseconds(first - started), generationTimeMs: Self.milliseconds(ended - first),
            finishedAt: clock.now, costSent: costSent)
        store.withLock { $0.append(record) }
        if let failure { throw failure }
        try await writer.finish(nil)
    }

    /// Sleeps until the first token is due, sending keep-alive comments meanwhile.
    private func waitForFirstToken(_ run: CompletionRun, writer: inout any ResponseBodyWriter) async throws {
        var remaining = Duration.milliseconds(run.behavior.latencyMs ?? 0)
        while remaining > .zero {
            let step = min(remaining, configuration.keepAliveInterval)
            try await clock.sleep(for: step)
            remaining -= step
            if remaining > .zero { try await writer.write(ChatChunkFormatter.keepAlive) }
        }
    }

    /// Serves a non-streamed completion.
    private func complete(_ run: CompletionRun, request: Request) async throws -> Response {
        let started = ContinuousClock.now
        if run.behavior.stall {
            do {
                try await clock.sleep(for: configuration.stallTimeout)
            } catch {
                let record = run.record(sentPieces: 0, finishReason: nil, cancelled: true, latencyMs: 0, generationTimeMs: 0, finishedAt: clock.now)
                store.withLock { $0.append(record) }
                throw error
            }
            throw OpenRouterError(524, "Request timed out. Please try again later.")
        }
        do {
            try await clock.sleep(for: .milliseconds(run.behavior.latencyMs ?? 0))
        } catch {
            // The client went away before the first token: the prompt is still charged.
            let record = run.record(sentPieces: 0, finishReason: nil, cancelled: true, latencyMs: 0, generationTimeMs: 0, finishedAt: clock.now)
            store.withLock { $0.append(record) }
            throw error
        }
        let firstToken = ContinuousClock.now
        if run.behavior.tps != nil {
            try await clock.sleep(for: run.chunkDelay * max(0, run.plan.pieces.count - 1))
        }
        let ended = ContinuousClock.now
        let sent = run.behavior.midstreamError ? max(1, run.plan.pieces.count / 2) : run.plan.pieces.count
        let finishReason = run.behavior.midstreamError ? "error" : run.naturalFinishReason
        let record = run.record(
            sentPieces: sent, finishReason: run.behavior.cutAfter != nil ? nil : finishReason, cancelled: false,
            latencyMs: Self.milliseconds(firstToken - started), generationTimeMs: Self.milliseconds(ended - firstToken),
            finishedAt: clock.now, costSent: !run.behavior.midstreamError)
        store.withLock { $0.append(record) }
        if run.behavior.midstreamError {
            throw OpenRouterError(502, "Provider returned error: upstream failed mid-answer (simulated)", headers: [Self.generationIDHeader: run.id])
        }
        let body = JSONValue.object([
            ("id", .string(run.id)),
            ("provider", .string(run.model.providerName)),
            ("model", .string(run.model.id)),
            ("object", .string("chat.completion")),
            ("created", .int(run.created)),
            ("choices", .array([.object([
                ("logprobs", .null),
                ("finish_reason", .string(finishReason)),
                ("native_finish_reason", .string(finishReason)),
                ("index", .int(0)),
                ("message", .object([("role", .string("assistant")), ("content", .string(run.plan.text)), ("refusal", .null), ("reasoning", .null)])),
            ])])),
            ("usage", run.usage(completionTokens: sent)),
        ]).rendered
        if run.behavior.cutAfter != nil {
            let half = ByteBuffer(string: String(body.prefix(body.utf8.count / 2)))
            return Response(
                status: .ok, headers: [.contentType: "application/json", Self.generationIDHeader: run.id],
                body: ResponseBody { writer in
                    try await writer.write(half)
                    throw AbruptClose()
                })
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json", Self.generationIDHeader: run.id],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
