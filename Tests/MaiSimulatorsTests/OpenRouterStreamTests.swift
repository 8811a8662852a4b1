import MaiCore
import AsyncHTTPClient
import Foundation
import MaiSimulators
import NIOCore
import Testing

@Suite("OpenRouter streaming (live)")
struct OpenRouterStreamTests {
    let sim = TestSupport.openRouter()
    var auth: [(String, String)] { [("Authorization", "Bearer \(TestSupport.userKey)"), ("Content-Type", "application/json"), ("x-session-id", "chat-9")] }

    @Test func streamParsesAndEndsWithDone() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let result = try await TestSupport.post(base + "/api/v1/chat/completions", body: TestSupport.chatBody("Stream me a story please", stream: true), headers: auth)
            #expect(result.status == 200)
            #expect(result.headers["content-type"] == "text/event-stream")
            #expect(result.text.hasPrefix(": OPENROUTER PROCESSING\n\n"))
            #expect(result.text.components(separatedBy: ": OPENROUTER PROCESSING").count > 2, "keep-alives between chunks too")
            let lines = TestSupport.dataLines(result.text)
            #expect(lines.last == "[DONE]")
            let chunks = try lines.dropLast().map { try TestSupport.json($0) }
            let ids = Set(chunks.compactMap { $0["id"] as? String })
            #expect(ids.count == 1 && ids.first?.hasPrefix("gen-") == true)
            let deltas = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"]) as? [String: Any] }
            #expect(deltas.first?["role"] as? String == "assistant")
            let text = deltas.compactMap { $0["content"] as? String }.joined()
            #expect(text.hasPrefix("Stream me a story please"))
            let final = try #require(chunks.last)
            #expect((final["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
            let usage = try #require(final["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == SimTokenizer.count(text))
            #expect(usage["is_byok"] as? Bool == false)
            #expect((usage["cost_details"] as? [String: Any])?.keys.contains("upstream_inference_cost") == true)
            #expect((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 0)
            #expect((usage["completion_tokens_details"] as? [String: Any])?["reasoning_tokens"] as? Int == 0)
            let record = try #require(sim.generations.first)
            #expect(record.streamed && !record.cancelled && record.finishReason == "stop")
            #expect(record.text == text && record.sessionID == "chat-9")
        }
    }

    @Test func midstreamErrorChunkEndsTheStream() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let result = try await TestSupport.post(base + "/api/v1/chat/completions", body: TestSupport.chatBody("go [[sim:midstream_error]] [[sim:tokens=10]]", stream: true), headers: auth)
            #expect(result.status == 200 && result.error == nil)
            let lines = TestSupport.dataLines(result.text)
            #expect(!lines.contains("[DONE]"))
            let last = try TestSupport.json(try #require(lines.last))
            let error = try #require(last["error"] as? [String: Any])
            #expect(error["code"] as? Int == 502 && (error["message"] as? String)?.isEmpty == false)
            #expect((last["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "error")
            #expect(lines.count == 1 + 5 + 1, "role chunk, half the content, error chunk")
            #expect(sim.generations.first?.finishReason == "error")
            #expect(sim.generations.first?.completionTokens == 5)
        }
    }

    @Test func cutClosesWithoutDone() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let result = try await TestSupport.post(base + "/api/v1/chat/completions", body: TestSupport.chatBody("go [[sim:cut_after=3]]", stream: true), headers: auth)
            #expect(result.error != nil, "the body ends abruptly")
            let lines = TestSupport.dataLines(result.text)
            #expect(!lines.contains("[DONE]"))
            #expect(lines.count == 1 + 3)
            let record = try #require(sim.generations.first)
            #expect(record.completionTokens == 3 && record.finishReason == nil)
        }
    }

    @Test func stalledStreamIsCancelledWhenTheClientLeaves() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            var request = HTTPClientRequest(url: base + "/api/v1/chat/completions")
            request.method = .POST
            for (name, value) in auth { request.headers.add(name: name, value: value) }
            request.body = .bytes(TestSupport.chatBody("wait [[sim:stall]]", stream: true))
            let task = Task {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                for try await _ in response.body {}
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(sim.generations.isEmpty, "still stalled")
            task.cancel()
            _ = await task.result
            let recorded = try await TestSupport.eventually { sim.generations.first?.cancelled == true }
            #expect(recorded)
            #expect(sim.generations.first?.completionTokens == 0)
        }
    }

    @Test func latencyAndPacingAreHonoured() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let start = ContinuousClock.now
            let result = try await TestSupport.post(base + "/api/v1/chat/completions", body: TestSupport.chatBody("x [[sim:latency_ms=150]] [[sim:tps=100]] [[sim:tokens=11]]", stream: true), headers: auth)
            let elapsed = ContinuousClock.now - start
            #expect(result.status == 200)
            #expect(elapsed >= .milliseconds(240), "150 ms to first token + 10 gaps of 10 ms")
            try #expect(#require(sim.generations.first).latencyMs >= 150)
        }
    }

    @Test func htmlReplyArrivesVerbatim() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let reply = #"<img src=x onerror=alert(1)> and **bold** "quoted"\n"#
            let result = try await TestSupport.post(base + "/api/v1/chat/completions", body: TestSupport.chatBody("[[sim:reply=\(reply)]]", stream: true), headers: auth)
            let text = try TestSupport.dataLines(result.text).dropLast().map { try TestSupport.json($0) }
                .compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(text == reply)
        }
    }
}
