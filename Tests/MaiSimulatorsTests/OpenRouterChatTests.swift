import MaiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import NIOCore
import Testing

@Suite("OpenRouter chat completions")
struct OpenRouterChatTests {
    @Test func nonStreamedAnswerHasConsistentTokensAndExactCost() async throws {
        let sim = TestSupport.openRouter()
        let app = Application(router: sim.buildRouter())
        try await app.test(.router) { client in
            let body = TestSupport.chatBody("What is the capital of France?", model: "anthropic/claude-3.5-sonnet", extra: #","user":"alice","session_id":"chat-1""#)
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(TestSupport.userKey), body: body) { response in
                #expect(response.status == .ok)
                let json = try TestSupport.json(response.body)
                #expect(json["object"] as? String == "chat.completion")
                #expect((json["id"] as? String)?.hasPrefix("gen-") == true)
                #expect(json["provider"] as? String == "Anthropic")
                let choice = try #require((json["choices"] as? [[String: Any]])?.first)
                let message = try #require(choice["message"] as? [String: Any])
                let content = try #require(message["content"] as? String)
                #expect(message["role"] as? String == "assistant")
                #expect(content.hasPrefix("What is the capital of France?"))
                #expect(choice["finish_reason"] as? String == "stop")
                let usage = try #require(json["usage"] as? [String: Any])
                let prompt = SimTokenizer.count("Be brief.") + SimTokenizer.count("What is the capital of France?")
                #expect(usage["prompt_tokens"] as? Int == prompt)
                #expect(usage["completion_tokens"] as? Int == SimTokenizer.count(content))
                #expect(usage["completion_tokens"] as? Int == 40)
                #expect(usage["total_tokens"] as? Int == prompt + 40)
                // claude-3.5-sonnet: $3/M prompt, $15/M completion — exact in the raw JSON.
                let expected = Int64(prompt) * 3000 + 40 * 15000
                #expect(TestSupport.amounts(String(buffer: response.body), key: "cost") == [expected])
                let record = try #require(sim.generations.first)
                #expect(record.user == "alice" && record.sessionID == "chat-1" && !record.streamed)
                #expect(record.cost.nanos == expected)
                #expect(TestSupport.numberLiterals(String(buffer: response.body), key: "cost") == [record.costText])
                #expect(record.keyHash == SimulatedKey.hash(of: TestSupport.userKey))
            }
        }
    }

    @Test func maxTokensTruncatesWithLength() async throws {
        let sim = TestSupport.openRouter()
        try await Application(router: sim.buildRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(TestSupport.userKey),
                                     body: TestSupport.chatBody("hello", extra: #","max_tokens":5"#)) { response in
                let json = try TestSupport.json(response.body)
                let choice = try #require((json["choices"] as? [[String: Any]])?.first)
                #expect(choice["finish_reason"] as? String == "length")
                #expect((json["usage"] as? [String: Any])?["completion_tokens"] as? Int == 5)
            }
        }
    }

    @Test func unknownModelAndMissingKeyAreRefused() async throws {
        let sim = OpenRouterSimulator(configuration: { var c = OpenRouterConfiguration.testing; c.acceptedKeyPrefix = "sk-or-"; return c }())
        try await Application(router: sim.buildRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(TestSupport.userKey),
                                     body: TestSupport.chatBody("hi", model: "nope/model")) { response in
                #expect(response.status == .badRequest)
                let error = try #require(try TestSupport.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? Int == 400)
                #expect(error["message"] as? String == "nope/model is not a valid model ID")
            }
            for key in [nil, "not-an-openrouter-key"] {
                try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(key), body: TestSupport.chatBody("hi")) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body) == #"{"error":{"code":401,"message":"No auth credentials found"}}"#)
                }
            }
        }
    }

    @Test(arguments: [401, 402, 429, 500, 502, 503])
    func errorDirectiveFailsBeforeFirstToken(code: Int) async throws {
        let sim = TestSupport.openRouter()
        try await Application(router: sim.buildRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(TestSupport.userKey),
                                     body: TestSupport.chatBody("hi [[sim:error=\(code)]]", stream: true)) { response in
                #expect(Int(response.status.code) == code)
                let error = try #require(try TestSupport.json(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? Int == code)
                #expect((error["message"] as? String)?.isEmpty == false)
                if code == 429 {
                    #expect(response.headers[.retryAfter] == "2")
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "0")
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Limit")!] != nil)
                    #expect(response.headers[HTTPField.Name("X-RateLimit-Reset")!] != nil)
                }
            }
        }
        #expect(sim.generations.isEmpty)
    }

    @Test func perKeyBehaviourFromControlAPI() async throws {
        let sim = TestSupport.openRouter()
        try await Application(router: sim.buildRouter()).test(.router) { client in
            try await client.execute(uri: "/__sim/keys", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"key":"sk-or-v1-broke","behavior":{"error":402}}"#)) { response in
                #expect(response.status == .created)
                try #expect(TestSupport.json(response.body)["hash"] as? String == SimulatedKey.hash(of: "sk-or-v1-broke"))
            }
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers("sk-or-v1-broke"), body: TestSupport.chatBody("hi")) { response in
                #expect(response.status.code == 402)
            }
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(TestSupport.userKey),
                                     body: TestSupport.chatBody("hi"), testCallback: { #expect($0.status == .ok) })
            try await client.execute(uri: "/__sim/generations", method: .get) { response in
                let data = try #require(try TestSupport.json(response.body)["data"] as? [[String: Any]])
                #expect(data.count == 1)
            }
            try await client.execute(uri: "/__sim/reset", method: .post) { #expect($0.status == .noContent) }
        }
        #expect(sim.generations.isEmpty)
    }
}
