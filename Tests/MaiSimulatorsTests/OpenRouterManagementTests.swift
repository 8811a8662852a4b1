import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaiCore
import MaiSimulators
import NIOCore
import Testing

/// The management side a key rotation relies on: keys refused once disabled or deleted (also for
/// `/generation`), limits and resets from the control API, `/activity` per key hash, and the faults
/// a rotation test switches on.
@Suite("OpenRouter management endpoints and faults")
struct OpenRouterManagementTests {
    let mgmt = TestSupport.headers(TestSupport.managementKey)

    func complete(_ client: some TestClientProtocol, key: String) async throws -> String {
        try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers(key), body: TestSupport.chatBody("hi")) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            return try #require(try TestSupport.json(response.body)["id"] as? String)
        }
    }

    func control(_ client: some TestClientProtocol, _ path: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
    }

    @Test("a disabled key is refused at completions, /key and /generation; enabled again it works; deleted it never does")
    func disabledAndDeletedKeys() async throws {
        let clock = ManualSimulatorClock()
        let sim = TestSupport.openRouter(clock: clock)
        try await Application(router: sim.buildRouter()).test(.router) { client in
            let hash = try #require(try TestSupport.json(try await control(client, "/__sim/keys", #"{"key":"sk-or-v1-client-a","behavior":{"name":"client a"}}"#).body)["hash"] as? String)
            let id = try await complete(client, key: "sk-or-v1-client-a")
            clock.advance(by: .seconds(10))
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .patch, headers: mgmt, body: ByteBuffer(string: #"{"disabled":true}"#)) { #expect($0.status == .ok) }
            for (uri, method) in [("/api/v1/generation?id=\(id)", HTTPRequest.Method.get), ("/api/v1/key", .get)] {
                try await client.execute(uri: uri, method: method, headers: TestSupport.headers("sk-or-v1-client-a")) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                    #expect(String(buffer: response.body).contains("disabled"))
                }
            }
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .patch, headers: mgmt, body: ByteBuffer(string: #"{"disabled":false}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/generation?id=\(id)", method: .get, headers: TestSupport.headers("sk-or-v1-client-a")) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .delete, headers: mgmt) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/generation?id=\(id)", method: .get, headers: TestSupport.headers("sk-or-v1-client-a")) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers("sk-or-v1-client-a"), body: TestSupport.chatBody("hi")) {
                #expect($0.status == .unauthorized)
                try #expect(TestSupport.json($0.body)["error"].flatMap { $0 as? [String: Any] }?["code"] as? Int == 401)
            }
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .delete, headers: mgmt) { #expect($0.status == .notFound) }
        }
    }

    @Test("a key registered through the control API is a management-API key: listed with its limit and reset, refused over its limit")
    func registeredKeysAreManaged() async throws {
        let sim = TestSupport.openRouter()
        try await Application(router: sim.buildRouter()).test(.router) { client in
            let response = try await control(client, "/__sim/keys", #"{"key":"sk-or-v1-client-b","behavior":{"name":"client b","limit":0.000001,"limit_reset":"weekly"}}"#)
            let hash = try #require(try TestSupport.json(response.body)["hash"] as? String)
            try await client.execute(uri: "/api/v1/keys/\(hash)", method: .get, headers: mgmt) { response in
                let data = try #require(try TestSupport.json(response.body)["data"] as? [String: Any])
                #expect(data["name"] as? String == "client b" && data["limit_reset"] as? String == "weekly")
                #expect(String(buffer: response.body).contains(#""limit":0.000001,"#))
            }
            try await client.execute(uri: "/api/v1/keys", method: .get, headers: mgmt) { response in
                let rows = try #require(try TestSupport.json(response.body)["data"] as? [[String: Any]])
                #expect(rows.map { $0["hash"] as? String } == [hash])
            }
            _ = try await complete(client, key: "sk-or-v1-client-b")
            try await client.execute(uri: "/api/v1/chat/completions", method: .post, headers: TestSupport.headers("sk-or-v1-client-b"), body: TestSupport.chatBody("hi")) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test("faults: the management API down answers 503 in OpenRouter's shape while inference works; created keys can be made invalid")
    func faults() async throws {
        let sim = TestSupport.openRouter()
        try await Application(router: sim.buildRouter()).test(.router) { client in
            #expect(try await control(client, "/__sim/faults", #"{"management_error":503}"#).status == .ok)
            for uri in ["/api/v1/keys", "/api/v1/activity", "/api/v1/credits"] {
                try await client.execute(uri: uri, method: .get, headers: mgmt) { response in
                    #expect(response.status == .serviceUnavailable, "\(uri)")
                    try #expect(TestSupport.json(response.body)["error"].flatMap { $0 as? [String: Any] }?["code"] as? Int == 503)
                }
            }
            try await client.execute(uri: "/api/v1/keys", method: .post, headers: mgmt, body: ByteBuffer(string: #"{"name":"x"}"#)) { #expect($0.status == .serviceUnavailable) }
            _ = try await complete(client, key: TestSupport.userKey)
            #expect(try await control(client, "/__sim/faults", #"{"created_key_behavior":{"key_error":401}}"#).status == .ok)
            let secret = try await client.execute(uri: "/api/v1/keys", method: .post, headers: mgmt, body: ByteBuffer(string: #"{"name":"refused"}"#)) { response in
                #expect(response.status == .created)
                return try #require(try TestSupport.json(response.body)["key"] as? String)
            }
            try await client.execute(uri: "/api/v1/key", method: .get, headers: TestSupport.headers(secret)) { #expect($0.status == .unauthorized) }
            #expect(try await control(client, "/__sim/faults", "{}").status == .ok)
            try await client.execute(uri: "/api/v1/keys", method: .get, headers: mgmt) { #expect($0.status == .ok) }
            #expect(try await control(client, "/__sim/faults", #"{"activity_as_of":"yesterday"}"#).status == .badRequest)
        }
    }

    @Test("/activity per key hash: each key's own requests and cost; activity_as_of counts today as completed")
    func activityPerKey() async throws {
        let clock = ManualSimulatorClock(start: Date(timeIntervalSince1970: 1_790_000_000))  // 2026-09-21
        let sim = TestSupport.openRouter(clock: clock)
        try await Application(router: sim.buildRouter()).test(.router) { client in
            for key in [TestSupport.userKey, TestSupport.userKey, TestSupport.otherKey] { _ = try await complete(client, key: key) }
            let hash = SimulatedKey.hash(of: TestSupport.userKey)
            try await client.execute(uri: "/api/v1/activity?api_key_hash=\(hash)", method: .get, headers: mgmt) { response in
                try #expect((TestSupport.json(response.body)["data"] as? [Any])?.isEmpty == true)
            }
            #expect(try await control(client, "/__sim/faults", #"{"activity_as_of":"2026-09-22"}"#).status == .ok)
            try await client.execute(uri: "/api/v1/activity?api_key_hash=\(hash)", method: .get, headers: mgmt) { response in
                let rows = try #require(try TestSupport.json(response.body)["data"] as? [[String: Any]])
                #expect(rows.count == 1 && rows[0]["requests"] as? Int == 2 && rows[0]["date"] as? String == "2026-09-21")
                let cost = sim.generations.filter { $0.keyHash == hash }.reduce(USDNanos.zero) { $0 + $1.cost }
                #expect(TestSupport.amounts(String(buffer: response.body), key: "usage") == [cost.nanos])
            }
        }
    }
}
