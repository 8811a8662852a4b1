import MaiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import NIOCore
import Testing

@Suite("OpenRouter generation, keys, activity, credits")
struct OpenRouterAccountingTests {
    static let generationFields = [
        "id", "upstream_id", "request_id", "session_id", "total_cost", "usage", "upstream_inference_cost", "cache_discount",
        "created_at", "model", "provider_name", "origin", "app_id", "external_user", "streamed", "cancelled", "latency",
        "generation_time", "moderation_latency", "tokens_prompt", "tokens_completion", "native_tokens_prompt",
        "native_tokens_completion", "native_tokens_reasoning", "native_tokens_cached", "num_media_prompt",
        "num_media_completion", "num_search_results", "finish_reason", "native_finish_reason", "is_byok", "api_type",
    ]

    func complete(_ client: some TestClientProtocol, key: String = TestSupport.userKey, text: String = "hi", model: String = "openai/gpt-4o-mini") async throws -> String {
        try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(key),
                                 body: TestSupport.chatBody(text, model: model, extra: #","user":"bob""#)) { response in
            #expect(response.status == .ok)
            return try #require(try TestSupport.json(response.body)["id"] as? String)
        }
    }

    @Test func generationIs404UntilTheDelayHasPassed() async throws {
        let clock = ManualSimulatorClock()
        let sim = TestSupport.openRouter(clock: clock)
        sim.registerKey("sk-or-v1-slow", behavior: KeyBehavior(generationDelayMs: 10_000))
        try await Application(router: sim.buildRouter()).test(.router) { client in
            let id = try await complete(client)
            let uri = "/api/v1/generation?id=\(id)"
            try await client.execute(uri: uri, method: .get, headers: TestSupport.headers(TestSupport.userKey)) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == #"{"error":{"code":404,"message":"Generation not found"}}"#)
            }
            clock.advance(by: .seconds(2))
            try await client.execute(uri: uri, method: .get, headers: TestSupport.headers(TestSupport.userKey)) { response in
                #expect(response.status == .ok)
                let data = try #require(try TestSupport.json(response.body)["data"] as? [String: Any])
                for field in Self.generationFields { #expect(data.keys.contains(field), "missing \(field)") }
                #expect(data["id"] as? String == id)
                #expect(data["external_user"] as? String == "bob")
                #expect(data["tokens_completion"] as? Int == 40)
                #expect((data["created_at"] as? String)?.hasSuffix("Z") == true)
            }
            try await client.execute(uri: uri, method: .get, headers: TestSupport.headers(TestSupport.otherKey)) { #expect($0.status == .notFound) }
            try await client.execute(uri: uri, method: .get, headers: TestSupport.headers(TestSupport.managementKey)) { #expect($0.status == .ok) }

            let slow = try await complete(client, key: "sk-or-v1-slow")
            clock.advance(by: .seconds(9))
            try await client.execute(uri: "/api/v1/generation?id=\(slow)", method: .get, headers: TestSupport.headers("sk-or-v1-slow")) { #expect($0.status == .notFound) }
            clock.advance(by: .seconds(1))
            try await client.execute(uri: "/api/v1/generation?id=\(slow)", method: .get, headers: TestSupport.headers("sk-or-v1-slow")) { #expect($0.status == .ok) }
        }
    }

    @Test func keyLifecycle() async throws {
        let sim = TestSupport.openRouter()
        let mgmt = TestSupport.headers(TestSupport.managementKey)
        try await Application(router: sim.buildRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/keys", method: .post, headers: mgmt, body: ByteBuffer(string: "{}")) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/keys", method: .get, headers: TestSupport.headers(TestSupport.userKey)) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("Only management keys can perform this operation"))
            }
            let (secret, hash) = try await client.execute(uri: "/api/v1/keys", method: .post, headers: mgmt,
                                                          body: ByteBuffer(string: #"{"name":"client-a","limit":5,"limit_reset":"monthly"}"#)) { response in
                #expect(response.status == .created)
                let json = try TestSupport.json(response.body)
                let data = try #require(json["data"] as? [String: Any])
                #expect(data["name"] as? String == "client-a" && data["limit"] as? Double == 5 && data["disabled"] as? Bool == false)
                return (try #require(json["key"] as? String), try #require(data["hash"] as? String))
            }
            #expect(secret.hasPrefix("sk-or-v1-") && hash == SimulatedKey.hash(of: secret))
            _ = try await complete(client, key: secret)
            try await client.execute(uri: "/api/v1/key", method: .get, headers: TestSupport.headers(secret)) { response in
                let data = try #require(try TestSupport.json(response.body)["data"] as? [String: Any])
                let cost = try #require(sim.generations.first?.cost.nanos)
                #expect(TestSupport.amounts(String(buffer: response.body), key: "usage") == [cost])
                #expect(data["is_management_key"] as? Bool == false && data["limit_reset"] as? String == "monthly")
            }
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .get, headers: mgmt) { response in
                try #expect(TestSupport.json(response.body)["data"].flatMap { $0 as? [String: Any] }?["key"] == nil, "the secret is never shown again")
            }
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .patch, headers: mgmt, body: ByteBuffer(string: #"{"disabled":true}"#)) { response in
                try #expect((TestSupport.json(response.body)["data"] as? [String: Any])?["disabled"] as? Bool == true)
            }
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(secret), body: TestSupport.chatBody("hi")) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/keys", method: .get, headers: mgmt) { response in
                try #expect((TestSupport.json(response.body)["data"] as? [Any])?.count == 0)
            }
            try await client.execute(uri: "/api/v1/keys?include_disabled=true", method: .get, headers: mgmt) { response in
                try #expect((TestSupport.json(response.body)["data"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .delete, headers: mgmt) { response in
                #expect(String(buffer: response.body) == #"{"deleted":true}"#)
            }
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .get, headers: mgmt) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(secret), body: TestSupport.chatBody("hi")) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func activityGroupsByDateAndModelOverCompletedDays() async throws {
        let clock = ManualSimulatorClock(start: Date(timeIntervalSince1970: 1_790_000_000)) // 2026-09-21T…Z
        let sim = TestSupport.openRouter(clock: clock)
        let mgmt = TestSupport.headers(TestSupport.managementKey)
        try await Application(router: sim.buildRouter()).test(.router) { client in
            _ = try await complete(client)
            _ = try await complete(client, text: "hello there")
            _ = try await complete(client, model: "deepseek/deepseek-chat")
            _ = try await complete(client, key: TestSupport.otherKey)
            try await client.execute(uri: "/api/v1/activity", method: .get, headers: mgmt) { response in
                try #expect((TestSupport.json(response.body)["data"] as? [Any])?.count == 0, "today is not a completed day")
            }
            clock.advance(by: .seconds(86_400))
            let hash = SimulatedKey.hash(of: TestSupport.userKey)
            try await client.execute(uri: "/api/v1/activity?api_key_hash=\(hash)", method: .get, headers: mgmt) { response in
                let rows = try #require(try TestSupport.json(response.body)["data"] as? [[String: Any]])
                #expect(rows.count == 2)
                let mini = try #require(rows.first { $0["model"] as? String == "openai/gpt-4o-mini" })
                #expect(mini["requests"] as? Int == 2 && mini["date"] as? String == "2026-09-21")
                let minis = sim.generations.filter { $0.model == "openai/gpt-4o-mini" && $0.keyHash == hash }
                #expect(mini["prompt_tokens"] as? Int == minis.reduce(0) { $0 + $1.promptTokens })
                let usage = minis.reduce(USDNanos.zero) { $0 + $1.cost }
                let miniIndex = try #require(rows.firstIndex { $0["model"] as? String == "openai/gpt-4o-mini" })
                #expect(TestSupport.amounts(String(buffer: response.body), key: "usage")[miniIndex] == usage.nanos)
                #expect(mini["model_permaslug"] as? String == "openai/gpt-4o-mini-2024-07-18" && mini["provider_name"] as? String == "OpenAI")
            }
            try await client.execute(uri: "/api/v1/activity?date=2026-09-21", method: .get, headers: mgmt) { response in
                let rows = try #require(try TestSupport.json(response.body)["data"] as? [[String: Any]])
                #expect(rows.first { $0["model"] as? String == "openai/gpt-4o-mini" }?["requests"] as? Int == 3)
            }
            try await client.execute(uri: "/api/v1/activity?date=2020-01-01", method: .get, headers: mgmt) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/api/v1/activity", method: .get, headers: TestSupport.headers(TestSupport.userKey)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/credits", method: .get, headers: mgmt) { response in
                let total = sim.generations.reduce(USDNanos.zero) { $0 + $1.cost }
                #expect(String(buffer: response.body).hasPrefix(#"{"data":{"total_credits":100,"total_usage":"#))
                #expect(TestSupport.amounts(String(buffer: response.body), key: "total_usage") == [total.nanos])
            }
        }
    }

    @Test func modelsListPricesAsStrings() async throws {
        try await Application(router: TestSupport.openRouter().buildRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/models", method: .get) { response in
                let models = try #require(try TestSupport.json(response.body)["data"] as? [[String: Any]])
                #expect(models.count == 6)
                let mini = try #require(models.first { $0["id"] as? String == "openai/gpt-4o-mini" })
                let pricing = try #require(mini["pricing"] as? [String: Any])
                #expect(pricing["prompt"] as? String == "0.00000015" && pricing["completion"] as? String == "0.0000006")
                #expect(mini["context_length"] as? Int == 128_000)
                #expect((mini["top_provider"] as? [String: Any])?["max_completion_tokens"] as? Int == 16_384)
                #expect((mini["architecture"] as? [String: Any])?["tokenizer"] as? String == "GPT")
                #expect((mini["supported_parameters"] as? [String])?.contains("max_tokens") == true)
            }
        }
    }

    @Test func embeddingsAreDeterministicAndSimilarTextsAreCloser() async throws {
        try await Application(router: TestSupport.openRouter().buildRouter()).test(.router) { client in
            let body = ByteBuffer(string: #"{"model":"openai/text-embedding-3-small","input":["the cat sat on the mat","a cat sat on a mat today","quarterly revenue grew strongly"]}"#)
            let first = try await client.execute(uri: "/api/v1/embeddings", method: .post, headers: TestSupport.headers(TestSupport.userKey), body: body) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            let second = try await client.execute(uri: "/api/v1/embeddings", method: .post, headers: TestSupport.headers(TestSupport.userKey), body: body) { String(buffer: $0.body) }
            let a = try TestSupport.json(first), b = try TestSupport.json(second)
            #expect(a["object"] as? String == "list")
            let data = try #require(a["data"] as? [[String: Any]])
            let vectors = data.map { ($0["embedding"] as? [Double] ?? []).map(Float.init) }
            #expect(vectors.allSatisfy { $0.count == 384 })
            #expect(vectors == (b["data"] as? [[String: Any]] ?? []).map { ($0["embedding"] as? [Double] ?? []).map(Float.init) })
            #expect(HashedEmbedding.cosine(vectors[0], vectors[1]) > HashedEmbedding.cosine(vectors[0], vectors[2]) + 0.3)
            #expect((a["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 6 + 7 + 4)
            try await client.execute(uri: "/api/v1/embeddings", method: .post, headers: TestSupport.headers(TestSupport.userKey),
                                     body: ByteBuffer(string: #"{"model":"openai/text-embedding-3-small","input":"one string"}"#)) { response in
                try #expect((TestSupport.json(response.body)["data"] as? [Any])?.count == 1)
            }
        }
    }
}
