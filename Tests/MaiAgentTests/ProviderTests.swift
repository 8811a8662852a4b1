import NIOCore
import Foundation
import MaiCore
import MaiSimulators
import Testing

@testable import MaiAgent

/// Each provider adapter against its simulator, for the happy path and every failure behaviour.
@Suite("Providers")
struct ProviderTests {
    static func providers(_ harness: SimulatorHarness, readTimeout: Int = 15) -> [(String, any ChatProvider)] {
        // The simulators are the operator's (as if configured in the environment).
        let http = UpstreamHTTP(readTimeoutSeconds: readTimeout,
                                outbound: OutboundPolicy(trustedOrigins: [OutboundPolicy.origin(harness.root)!], allowance: .none))
        return [
            ("openrouter", OpenAICompatibleProvider(http: http, baseURL: harness.openRouterBase, apiKey: "sk-or-v1-provider-test", isOpenRouter: true)),
            ("anthropic", AnthropicProvider(http: http, baseURL: harness.root, apiKey: "sk-ant-test")),
            ("gemini", GeminiProvider(http: http, baseURL: harness.root, apiKey: "gemini-key")),
        ]
    }

    static func model(_ name: String, _ provider: any ChatProvider) async throws -> String {
        let models = try await provider.models()
        #expect(!models.isEmpty, "\(name) lists no models")
        return try #require(models.first).id
    }

    static func collect(_ stream: AsyncThrowingStream<ProviderEvent, any Error>) async -> (events: [ProviderEvent], error: (any Error)?) {
        var events: [ProviderEvent] = []
        do {
            for try await event in stream { events.append(event) }
            return (events, nil)
        } catch {
            return (events, error)
        }
    }

    static func text(_ events: [ProviderEvent]) -> String {
        events.compactMap { if case .text(let text) = $0 { text } else { nil } }.joined()
    }

    @Test("every provider streams text, usage and a finish")
    func happyPath() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        for (name, provider) in Self.providers(harness) {
            let model = try await Self.model(name, provider)
            let request = ProviderChatRequest(model: model, messages: [.init(role: "system", content: "Be brief."), .init(role: "user", content: "Tell me about tea")],
                                              user: "acme_user_0001", sessionID: "chat-1")
            let (events, error) = await Self.collect(try await provider.stream(request))
            #expect(error == nil, "\(name): \(String(describing: error))")
            guard case .started = events.first else { Issue.record("\(name) did not start with .started: \(events.prefix(2))"); continue }
            #expect(!Self.text(events).isEmpty, "\(name) sent no text")
            let usage = events.compactMap { if case .usage(let usage) = $0 { usage } else { nil } }.last
            #expect((usage?.promptTokens ?? 0) > 0 && (usage?.completionTokens ?? 0) > 0, "\(name) usage \(String(describing: usage))")
            #expect(events.last == .finished(reason: "stop"), "\(name) ended with \(String(describing: events.last))")
        }
        // OpenRouter's reported cost is the simulator's own figure, to the nano-dollar, and it saw `user` and `session_id`.
        let served = try #require(harness.openRouter.generations.last)
        #expect(served.user == "acme_user_0001")
        #expect(served.sessionID == "chat-1")
    }

    @Test("OpenRouter's cost in the final chunk is kept exactly")
    func exactCost() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let provider = Self.providers(harness)[0].1
        let (events, _) = await Self.collect(try await provider.stream(ProviderChatRequest(model: "anthropic/claude-3.5-sonnet", messages: [.init(role: "user", content: "Cost please [[sim:tokens=37]]")])))
        let usage = try #require(events.compactMap { if case .usage(let usage) = $0 { usage } else { nil } }.last)
        var recorded = harness.openRouter.generations.last
        for _ in 0..<100 where recorded == nil {
            try await Task.sleep(for: .milliseconds(20))  // the simulator books it as the response ends
            recorded = harness.openRouter.generations.last
        }
        let served = try #require(recorded)
        #expect(usage.completionTokens == 37)
        #expect(usage.reportedCost?.nanos == served.cost.nanos)
        #expect((usage.reportedCost?.nanos ?? 0) > 0)
    }

    @Test("errors before the first token are thrown with the provider's status and reason", arguments: [401, 402, 429, 500, 503])
    func errorsBeforeFirstToken(status: Int) async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        for (name, provider) in Self.providers(harness) {
            let model = try await Self.model(name, provider)
            do {
                _ = try await provider.stream(ProviderChatRequest(model: model, messages: [.init(role: "user", content: "hi [[sim:error=\(status)]]")]))
                Issue.record("\(name) did not fail for \(status)")
            } catch let error as ProviderError {
                // Anthropic and Gemini have no 402; their simulators answer with their nearest status.
                if name == "openrouter" || status != 402 { #expect(error.status == status, "\(name): \(error)") }
                #expect(!error.message.isEmpty)
                if status == 429, name == "openrouter" { #expect((error.retryAfter ?? 0) > 0) }
            }
        }
    }

    @Test("an error mid-stream arrives as a .failed event after the text so far")
    func midstreamError() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        for (name, provider) in Self.providers(harness) {
            let model = try await Self.model(name, provider)
            let (events, error) = await Self.collect(try await provider.stream(ProviderChatRequest(model: model, messages: [.init(role: "user", content: "hello [[sim:midstream_error]]")])))
            #expect(error == nil, "\(name): \(String(describing: error))")
            #expect(!Self.text(events).isEmpty, "\(name): no text before the error")
            guard case .failed(let failure) = events.last else { Issue.record("\(name) ended with \(String(describing: events.last))"); continue }
            #expect(!failure.message.isEmpty)
        }
    }

    @Test("a connection cut mid-stream ends with a network error, keeping the text")
    func cut() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        for (name, provider) in Self.providers(harness) {
            let model = try await Self.model(name, provider)
            let (events, error) = await Self.collect(try await provider.stream(ProviderChatRequest(model: model, messages: [.init(role: "user", content: "hello [[sim:cut_after=3]]")])))
            #expect(!Self.text(events).isEmpty, "\(name)")
            #expect((error as? ProviderError)?.status == 502, "\(name): \(String(describing: error))")
        }
    }

    @Test("a stalled stream times out instead of hanging")
    func stall() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let provider = Self.providers(harness, readTimeout: 3)[0].1
        let started = ContinuousClock.now
        // The read timeout ends it: during the stream (the usual case), or — on a machine so busy that
        // even the response head takes 3 s — before it. Either way a 504 "timeout", not the
        // simulator's own end of the stall (300 s, an abrupt close).
        var error: (any Error)?
        do {
            error = await Self.collect(try await provider.stream(ProviderChatRequest(model: "openai/gpt-4o-mini", messages: [.init(role: "user", content: "hello [[sim:stall]]")]))).1
        } catch let thrown {
            error = thrown
        }
        let failure = error as? ProviderError
        #expect(failure?.status == 504 && failure?.kind == "timeout", "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(240), "a stall ends by the read timeout (3 s), before the simulator gives up (300 s)")
    }

    @Test("stopping consumption cancels the upstream request")
    func cancellation() async throws {
        let harness = try await SimulatorHarness.start()
        defer { harness.stop() }
        let provider = Self.providers(harness)[0].1
        do {
            // Leaving this scope releases the stream: what the relay does when its client goes away.
            let stream = try await provider.stream(ProviderChatRequest(model: "openai/gpt-4o-mini", messages: [.init(role: "user", content: "long one [[sim:tps=20]] [[sim:tokens=400]]")]))
            var seen = 0
            for try await event in stream {
                if case .text = event { seen += 1 }
                if seen == 3 { break }
            }
        }
        // The simulator notices the closed connection and records the generation as cancelled.
        var cancelled = false
        for _ in 0..<100 where !cancelled {
            cancelled = harness.openRouter.generations.last?.cancelled == true
            if !cancelled { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(cancelled)
    }

    @Test("SSE parsing survives any chunking and ignores comments")
    func sseChunking() throws {
        let text = ": OPENROUTER PROCESSING\n\ndata: {\"a\":1}\n\nevent: message_stop\ndata: {\"b\":2}\r\n\r\ndata: [DONE]\n\n"
        let bytes = Array(text.utf8)
        for size in [1, 2, 3, 7, bytes.count] {
            var parser = SSEParser()
            var events: [SSEParser.Event] = []
            var index = 0
            while index < bytes.count {
                let end = min(index + size, bytes.count)
                events += try parser.feed(ByteBuffer(bytes: bytes[index..<end]))
                index = end
            }
            #expect(events == [.init(name: nil, data: "{\"a\":1}"), .init(name: "message_stop", data: "{\"b\":2}"), .init(name: nil, data: "[DONE]")], "chunk size \(size)")
        }
    }
}
