import MaiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import NIOCore
import Testing

@Suite("Anthropic and Gemini stand-ins")
struct ProviderSimulatorTests {
    let suite = SimulatorSuite(
        openRouter: TestSupport.openRouter(),
        anthropic: AnthropicSimulator(configuration: .testing),
        gemini: GeminiSimulator(configuration: .testing))

    @Test func anthropicStreamEventsInOrder() async throws {
        try await SimulatorServer.withRunning(suite.buildRouter()) { base in
            let body = ByteBuffer(string: #"{"model":"claude-3-5-haiku-20241022","max_tokens":100,"stream":true,"system":"Be kind.","messages":[{"role":"user","content":[{"type":"text","text":"Hi there [[sim:tokens=6]]"}]}]}"#)
            let result = try await TestSupport.post(base + "/v1/messages", body: body, headers: [("x-api-key", "sk-ant-test"), ("anthropic-version", "2023-06-01"), ("content-type", "application/json")])
            #expect(result.status == 200)
            let events = result.text.components(separatedBy: "\n").filter { $0.hasPrefix("event: ") }.map { String($0.dropFirst(7)) }
            let expected = ["message_start", "content_block_start", "ping"] + Array(repeating: "content_block_delta", count: 6) + ["content_block_stop", "message_delta", "message_stop"]
            #expect(events == expected)
            let data = try TestSupport.dataLines(result.text).map { try TestSupport.json($0) }
            let start = try #require(data.first?["message"] as? [String: Any])
            #expect((start["usage"] as? [String: Any])?["input_tokens"] as? Int == SimTokenizer.count("Be kind.") + SimTokenizer.count("Hi there"))
            let text = data.compactMap { ($0["delta"] as? [String: Any]).flatMap { $0["type"] as? String == "text_delta" ? $0["text"] as? String : nil } }.joined()
            #expect(text.hasPrefix("Hi there") && SimTokenizer.count(text) == 6)
            let delta = try #require(data.first { $0["type"] as? String == "message_delta" })
            #expect((delta["delta"] as? [String: Any])?["stop_reason"] as? String == "end_turn")
            #expect((delta["usage"] as? [String: Any])?["output_tokens"] as? Int == 6)
        }
    }

    @Test func anthropicMidstreamErrorEvent() async throws {
        try await SimulatorServer.withRunning(suite.buildRouter()) { base in
            let body = ByteBuffer(string: #"{"model":"claude-3-5-haiku-20241022","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"x [[sim:midstream_error]]"}]}"#)
            let result = try await TestSupport.post(base + "/v1/messages", body: body, headers: [("x-api-key", "k")])
            #expect(result.text.contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\""))
            #expect(!result.text.contains("message_stop"))
        }
    }

    @Test func anthropicErrorsAndModels() async throws {
        try await Application(router: suite.buildRouter()).test(.router) { client in
            let body = ByteBuffer(string: #"{"model":"claude-3-5-haiku-20241022","max_tokens":10,"messages":[{"role":"user","content":"hi [[sim:error=529]]"}]}"#)
            try await client.execute(uri: "/v1/messages", method: .post, body: body) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body) == #"{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"}}"#)
            }
            try await client.execute(uri: "/v1/messages", method: .post, headers: [HTTPField.Name("x-api-key")!: "k"], body: body) { response in
                #expect(response.status.code == 529)
                try #expect((TestSupport.json(response.body)["error"] as? [String: Any])?["type"] as? String == "overloaded_error")
            }
            let plain = ByteBuffer(string: #"{"model":"claude-3-5-haiku-20241022","max_tokens":3,"system":[{"type":"text","text":"sys"}],"messages":[{"role":"user","content":"hello world again"}]}"#)
            try await client.execute(uri: "/v1/messages", method: .post, headers: [HTTPField.Name("x-api-key")!: "k"], body: plain) { response in
                let json = try TestSupport.json(response.body)
                #expect(json["stop_reason"] as? String == "max_tokens")
                #expect((json["usage"] as? [String: Any])?["output_tokens"] as? Int == 3)
                #expect((json["usage"] as? [String: Any])?["input_tokens"] as? Int == 4)
            }
            try await client.execute(uri: "/v1/models", method: .get, headers: [HTTPField.Name("x-api-key")!: "k"]) { response in
                let json = try TestSupport.json(response.body)
                #expect((json["data"] as? [[String: Any]])?.first?["type"] as? String == "model")
                #expect(json["has_more"] as? Bool == false && json["first_id"] is String && json["last_id"] is String)
            }
        }
    }

    @Test func geminiStreamChunksAndThoughtSignature() async throws {
        try await SimulatorServer.withRunning(suite.buildRouter()) { base in
            let body = ByteBuffer(string: #"{"systemInstruction":{"parts":[{"text":"Be kind."}]},"contents":[{"role":"user","parts":[{"text":"Hello Gemini friend [[sim:tokens=7]]"}]}]}"#)
            let result = try await TestSupport.post(base + "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", body: body, headers: [("x-goog-api-key", "g-key")])
            #expect(result.status == 200)
            let events = result.text.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
            #expect(events.count == 3, "7 tokens in chunks of 3")
            let chunks = try events.map { try TestSupport.json(String($0.dropFirst(6))) }
            var text = ""
            var sawSignatureOnly = false
            for chunk in chunks {
                let candidate = try #require((chunk["candidates"] as? [[String: Any]])?.first)
                let content = try #require(candidate["content"] as? [String: Any])
                #expect(content["role"] as? String == "model")
                for part in content["parts"] as? [[String: Any]] ?? [] {
                    if let piece = part["text"] as? String { text += piece } else if part["thoughtSignature"] != nil { sawSignatureOnly = true }
                }
                #expect(chunk["modelVersion"] as? String == "gemini-2.0-flash" && chunk["responseId"] is String)
            }
            #expect(sawSignatureOnly)
            #expect(text.hasPrefix("Hello Gemini friend") && SimTokenizer.count(text) == 7)
            let last = try #require(chunks.last)
            #expect((last["candidates"] as? [[String: Any]])?.first?["finishReason"] as? String == "STOP")
            let usage = try #require(last["usageMetadata"] as? [String: Any])
            #expect(usage["promptTokenCount"] as? Int == 3 + 3 && usage["candidatesTokenCount"] as? Int == 7 && usage["totalTokenCount"] as? Int == 13)
        }
    }

    @Test func geminiErrorsAndModels() async throws {
        try await Application(router: suite.buildRouter()).test(.router) { client in
            let body = ByteBuffer(string: #"{"contents":[{"role":"user","parts":[{"text":"x [[sim:error=429]]"}]}]}"#)
            try await client.execute(uri: "/v1beta/models/gemini-2.0-flash:generateContent", method: .post, headers: [HTTPField.Name("x-goog-api-key")!: "k"], body: body) { response in
                #expect(response.status == .tooManyRequests)
                let error = try #require(try TestSupport.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? Int == 429 && error["status"] as? String == "RESOURCE_EXHAUSTED" && error["message"] is String)
            }
            try await client.execute(uri: "/v1beta/models/gemini-2.0-flash:generateContent", method: .post, body: body) { #expect($0.status == .forbidden) }
            let ok = ByteBuffer(string: #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":4}}"#)
            try await client.execute(uri: "/v1beta/models/gemini-2.5-pro:generateContent", method: .post, headers: [HTTPField.Name("x-goog-api-key")!: "k"], body: ok) { response in
                let candidate = try #require((try TestSupport.json(response.body)["candidates"] as? [[String: Any]])?.first)
                #expect(candidate["finishReason"] as? String == "MAX_TOKENS")
            }
            try await client.execute(uri: "/v1beta/models", method: .get, headers: [HTTPField.Name("x-goog-api-key")!: "k"]) { response in
                let models = try #require(try TestSupport.json(response.body)["models"] as? [[String: Any]])
                #expect((models.first?["name"] as? String)?.hasPrefix("models/") == true)
                #expect(models.first?["inputTokenLimit"] is Int && models.first?["supportedGenerationMethods"] is [String])
            }
        }
    }
}
