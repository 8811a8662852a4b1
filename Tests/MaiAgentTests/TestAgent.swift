import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import MaiAgent

/// A real agent on a real SQLite file in a temporary directory, with a clock the test moves.
struct TestAgent: @unchecked Sendable {
    let services: AgentServices
    let clock: ManualClock
    let directory: URL
    let routes: [RouteRegistrar.Entry]
    let router: Router<AgentRequestContext>

    init(environment: [String: String] = [:], policy: SignInThrottle.Policy = .init(), clock: ManualClock = ManualClock()) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mai-test-\(UUID().uuidString)")
        var env = ["DATA_DIR": directory.path, "FORWARDED_ALLOW_IPS": "*"]
        env.merge(environment) { $1 }
        var config = try AgentConfig(environment: env)
        config.bcryptCost = 4  // keeps the suite fast; the binary refuses anything below 12
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        self.services = try await AgentServices(config: config, environment: env, clock: clock.clock, throttle: SignInThrottle(policy: policy), logger: logger)
        try await services.prepareForServing()
        self.clock = clock
        self.directory = directory
        (self.router, self.routes) = buildRouter(services: services)
    }

    /// Runs `body` against the router (no sockets).
    func test<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: router, logger: services.logger)
        return try await app.test(.router, body)
    }

    /// Runs `body` against a live server on a free port (real sockets).
    func testLive<Value>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: services.logger)
        return try await app.test(.live, body)
    }
}

/// JSON helpers for test requests.
enum Body {
    static func json(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(data: try! JSONSerialization.data(withJSONObject: object))
    }
}

extension TestResponse {
    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var detail: String { json["detail"] as? String ?? "" }
}

extension TestClientProtocol {
    /// POSTs JSON with the optional bearer token and extra headers.
    func post(_ path: String, _ object: [String: Any], token: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        if let token { fields[.authorization] = "Bearer \(token)" }
        return try await execute(uri: path, method: .post, headers: fields, body: Body.json(object))
    }

    func get(_ path: String, token: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        return try await execute(uri: path, method: .get, headers: fields)
    }

    /// Signs up and returns (token, refresh token, user id, role).
    @discardableResult
    func signUp(_ email: String, name: String = "Person", password: String = "correct horse") async throws -> (token: String, refresh: String, id: String, role: String) {
        let response = try await post("/api/v1/auths/signup", ["name": name, "email": email, "password": password])
        #expect(response.status == .ok, "signup \(email): \(response.status) \(response.detail)")
        let json = response.json
        return (json["token"] as? String ?? "", json["refresh_token"] as? String ?? "", json["id"] as? String ?? "", json["role"] as? String ?? "")
    }

    func signIn(_ email: String, password: String = "correct horse", address: String = "10.0.0.1") async throws -> TestResponse {
        try await post("/api/v1/auths/signin", ["email": email, "password": password], headers: [.xForwardedFor: address])
    }

    /// Creates the admin by sign-up and a user and a pending account through the admin API;
    /// returns their access tokens.
    func seedAccounts() async throws -> (admin: String, user: String, pending: String) {
        let admin = try await signUp("admin@example.com", name: "Admin")
        for (email, role) in [("user@example.com", "user"), ("pending@example.com", "pending")] {
            let added = try await post("/api/v1/auths/add", ["name": email, "email": email, "password": "correct horse", "role": role], token: admin.token)
            #expect(added.status == .ok, "add \(email): \(added.detail)")
        }
        let user = try await signIn("user@example.com").json["token"] as? String ?? ""
        let pending = try await signIn("pending@example.com").json["token"] as? String ?? ""
        return (admin.token, user, pending)
    }
}
