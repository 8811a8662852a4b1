import Foundation
import MaiCore
import Synchronization
import Testing
@testable import MaiFleet

/// A transport that answers from a script and records what was sent; a request nobody scripted
/// fails the test (fail by default).
final class ScriptedOpenRouterTransport: OpenRouterTransport {
    private let state = Mutex<([OpenRouterRequest], [OpenRouterResponse])>(([], []))

    init(_ answers: [OpenRouterResponse]) {
        state.withLock { $0.1 = answers }
    }

    var requests: [OpenRouterRequest] { state.withLock { $0.0 } }

    func send(_ request: OpenRouterRequest) async throws -> OpenRouterResponse {
        try state.withLock { state in
            state.0.append(request)
            guard !state.1.isEmpty else {
                Issue.record("unexpected request \(request.method) \(request.url)")
                throw OpenRouterAPIError.unreachable(url: request.url.absoluteString, reason: "no scripted answer")
            }
            return state.1.removeFirst()
        }
    }

    static func json(_ status: Int, _ text: String) -> OpenRouterResponse {
        OpenRouterResponse(status: status, headers: ["content-type": "application/json"], body: Data(text.utf8))
    }
}

@Suite("OpenRouter management client")
struct OpenRouterManagementClientTests {
    static let base = URL(string: "http://sim.test:9090/api/v1")!
    static let mgmt = "sk-or-v1-mgmt-0123456789"

    // Examples from OpenRouter's OpenAPI document (facts/openrouter-openapi-subset.yaml).
    static let keyItem = #"""
        {"byok_usage":17.38,"byok_usage_daily":17.38,"byok_usage_monthly":17.38,"byok_usage_weekly":17.38,"created_at":"2025-08-24T10:30:00Z","creator_user_id":"user_2dHFtVWx2n56w6HkM0000000000","disabled":false,"expires_at":"2027-12-31T23:59:59Z","hash":"f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943","include_byok_in_limit":false,"label":"sk-or-v1-0e6...1c96","limit":100,"limit_remaining":74.5,"limit_reset":"monthly","name":"My Production Key","updated_at":"2025-08-24T15:45:00Z","usage":25.5,"usage_daily":25.5,"usage_monthly":25.5,"usage_weekly":25.5,"workspace_id":"0df9e665-d932-5740-b2c7-b52af166bc11"}
        """#
    static let created = #"""
        {"data":{"byok_usage":0,"byok_usage_daily":0,"byok_usage_monthly":0,"byok_usage_weekly":0,"created_at":"2025-08-24T10:30:00Z","creator_user_id":"user_2dHFtVWx2n56w6HkM0000000000","disabled":false,"expires_at":"2027-12-31T23:59:59Z","hash":"f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943","include_byok_in_limit":true,"label":"My New API Key","limit":50,"limit_remaining":50,"limit_reset":"monthly","name":"My New API Key","updated_at":null,"usage":0,"usage_daily":0,"usage_monthly":0,"usage_weekly":0,"workspace_id":"0df9e665-d932-5740-b2c7-b52af166bc11"},"key":"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"}
        """#
    static let currentKey = #"""
        {"data":{"byok_usage":17.38,"byok_usage_daily":17.38,"byok_usage_monthly":17.38,"byok_usage_weekly":17.38,"creator_user_id":"user_2dHFtVWx2n56w6HkM0000000000","expires_at":"2027-12-31T23:59:59Z","include_byok_in_limit":false,"is_free_tier":false,"is_management_key":true,"is_provisioning_key":true,"label":"sk-or-v1-au7...890","limit":null,"limit_remaining":null,"limit_reset":null,"rate_limit":{"interval":"1h","note":"This field is deprecated and safe to ignore.","requests":1000},"usage":25.5,"usage_daily":25.5,"usage_monthly":25.5,"usage_weekly":25.5}}
        """#
    static let activity = #"""
        {"data":[{"byok_usage_inference":0.012,"completion_tokens":125,"date":"2025-08-24","endpoint_id":"550e8400-e29b-41d4-a716-446655440000","model":"openai/gpt-4.1","model_permaslug":"openai/gpt-4.1-2025-04-14","prompt_tokens":50,"provider_name":"OpenAI","reasoning_tokens":25,"requests":5,"usage":0.015}]}
        """#

    func client(_ transport: ScriptedOpenRouterTransport) -> OpenRouterManagementClient {
        OpenRouterManagementClient(baseURL: Self.base, managementKey: Secret(Self.mgmt), transport: transport)
    }

    @Test("create sends the name, the exact limit and the reset with the management key; the secret comes back once")
    func createKey() async throws {
        let transport = ScriptedOpenRouterTransport([ScriptedOpenRouterTransport.json(201, Self.created)])
        let created = try await client(transport).createKey(NewOpenRouterKey(name: "mai-acme-2026-11-26", limit: Money(decimal: "100.25"), limitReset: "monthly"))
        let request = try #require(transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url.absoluteString == "http://sim.test:9090/api/v1/keys")
        #expect(request.header("Authorization") == "Bearer \(Self.mgmt)")
        #expect(request.header("Content-Type") == "application/json")
        #expect(String(decoding: request.body ?? Data(), as: UTF8.self) == #"{"name":"mai-acme-2026-11-26","limit":100.25,"limit_reset":"monthly"}"#)
        #expect(created.secret.value == "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")
        #expect("\(created.secret)" == "[REDACTED]")
        #expect(created.key.hash == "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943")
        #expect(created.key.limit == Money(decimal: "50") && created.key.limitReset == "monthly" && created.key.updatedAt == nil)
    }

    @Test("a new key without limit sends nulls; a patch sends only what is set")
    func bodies() {
        #expect(String(decoding: NewOpenRouterKey(name: "k \"q\"").json(), as: UTF8.self) == #"{"name":"k \"q\"","limit":null,"limit_reset":null}"#)
        #expect(String(decoding: OpenRouterKeyPatch(disabled: true).json(), as: UTF8.self) == #"{"disabled":true}"#)
        #expect(String(decoding: OpenRouterKeyPatch(limit: .some(nil), limitReset: .some("weekly")).json(), as: UTF8.self)
                == #"{"limit":null,"limit_reset":"weekly"}"#)
    }

    @Test("list, get, patch, delete build the documented paths and decode the documented shapes exactly")
    func keysCRUD() async throws {
        let hash = "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943"
        let transport = ScriptedOpenRouterTransport([
            ScriptedOpenRouterTransport.json(200, #"{"data":[\#(Self.keyItem)]}"#),
            ScriptedOpenRouterTransport.json(200, #"{"data":\#(Self.keyItem)}"#),
            ScriptedOpenRouterTransport.json(200, #"{"data":\#(Self.keyItem.replacingOccurrences(of: "\"disabled\":false", with: "\"disabled\":true"))}"#),
            ScriptedOpenRouterTransport.json(200, #"{"deleted":true}"#),
        ])
        let api = client(transport)
        let listed = try await api.listKeys(includeDisabled: true, offset: 100)
        #expect(listed.count == 1)
        let key = listed[0]
        #expect(key.limit == Money(nanos: 100_000_000_000) && key.limitRemaining == Money(nanos: 74_500_000_000))
        #expect(key.usage == Money(decimal: "25.5") && key.usageMonthly == Money(decimal: "25.5"))
        #expect(key.name == "My Production Key" && key.label == "sk-or-v1-0e6...1c96" && !key.disabled)
        #expect(try await api.key(hash: hash) == key)
        let patched = try await api.updateKey(hash: hash, OpenRouterKeyPatch(disabled: true))
        #expect(patched.disabled)
        try await api.deleteKey(hash: hash)
        let sent = transport.requests.map { "\($0.method) \($0.url.absoluteString)" }
        #expect(sent == [
            "GET http://sim.test:9090/api/v1/keys?include_disabled=true&offset=100",
            "GET http://sim.test:9090/api/v1/keys/\(hash)",
            "PATCH http://sim.test:9090/api/v1/keys/\(hash)",
            "DELETE http://sim.test:9090/api/v1/keys/\(hash)",
        ])
        #expect(transport.requests.allSatisfy { $0.header("Authorization") == "Bearer \(Self.mgmt)" })
    }

    @Test("/key, /activity and /credits decode the documented shapes; activity filters by key hash")
    func accountEndpoints() async throws {
        let transport = ScriptedOpenRouterTransport([
            ScriptedOpenRouterTransport.json(200, Self.currentKey),
            ScriptedOpenRouterTransport.json(200, Self.activity),
            ScriptedOpenRouterTransport.json(200, #"{"data":{"total_credits":100.5,"total_usage":25.75}}"#),
        ])
        let api = client(transport)
        let current = try await api.currentKey()
        #expect(current.isManagementKey && current.limit == nil && current.usage == Money(decimal: "25.5"))
        let rows = try await api.activity(date: "2025-08-24", apiKeyHash: "ABC123")
        #expect(rows == [OpenRouterActivity(date: "2025-08-24", model: "openai/gpt-4.1", modelPermaslug: "openai/gpt-4.1-2025-04-14",
                                            endpointId: "550e8400-e29b-41d4-a716-446655440000", providerName: "OpenAI", usage: Money(nanos: 15_000_000),
                                            byokUsageInference: Money(nanos: 12_000_000), requests: 5, promptTokens: 50, completionTokens: 125, reasoningTokens: 25)])
        let credits = try await api.credits()
        #expect(credits.totalCredits == Money(decimal: "100.5") && credits.totalUsage == Money(decimal: "25.75"))
        #expect(transport.requests.map(\.url.absoluteString) == [
            "http://sim.test:9090/api/v1/key", "http://sim.test:9090/api/v1/activity?date=2025-08-24&api_key_hash=abc123",
            "http://sim.test:9090/api/v1/credits",
        ])
    }

    @Test("errors: OpenRouter's message and status, unreadable answers, bad hashes, a missing key")
    func errors() async throws {
        let transport = ScriptedOpenRouterTransport([
            ScriptedOpenRouterTransport.json(401, #"{"error":{"code":401,"message":"No auth credentials found"}}"#),
            ScriptedOpenRouterTransport.json(404, #"{"error":{"code":404,"message":"Key not found"}}"#),
            ScriptedOpenRouterTransport.json(200, #"{"data":{"hash":"x"}}"#),
            ScriptedOpenRouterTransport.json(503, "upstream sad"),
        ])
        let api = client(transport)
        await #expect(throws: OpenRouterAPIError.http(status: 401, message: "No auth credentials found")) { try await api.listKeys() }
        do {
            _ = try await api.key(hash: "abc")
            Issue.record("404 must throw")
        } catch let error as OpenRouterAPIError {
            #expect(error.status == 404)
        }
        await #expect { try await api.key(hash: "abc") } throws: { error in
            guard case .invalidResponse = error as? OpenRouterAPIError else { return false }
            return true
        }
        await #expect(throws: OpenRouterAPIError.http(status: 503, message: "upstream sad")) { try await api.credits() }
        await #expect { try await api.deleteKey(hash: "../../credits") } throws: { error in
            guard case .invalidRequest = error as? OpenRouterAPIError else { return false }
            return true
        }
        #expect(transport.requests.count == 4, "a bad hash never leaves the machine")
        #expect(throws: OpenRouterAPIError.noManagementKey) { try OpenRouterManagementClient.fromEnvironment([:]) }
        #expect(throws: OpenRouterAPIError.self) { try OpenRouterManagementClient.fromEnvironment(["OPENROUTER_MANAGEMENT_KEY": "k", "OPENROUTER_BASE_URL": "ftp://x"]) }
        let fromEnv = try OpenRouterManagementClient.fromEnvironment(["OPENROUTER_MANAGEMENT_KEY": " k ", "OPENROUTER_BASE_URL": "http://198.51.100.1:19091/api/v1/"])
        #expect(fromEnv.baseURL.absoluteString == "http://198.51.100.1:19091/api/v1")
        #expect(!OpenRouterAPIError.http(status: 401, message: "m").description.contains("sk-or"))
    }
}
