import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing

@testable import MaiAgent

@Suite("Operations and bad input")
struct OperationsTests {
    @Test("health, database health, version and public config")
    func probes() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let health = try await client.get("/health")
            #expect(health.status == .ok)
            #expect(health.json["status"] as? Bool == true)
            let stranger = try await client.get("/health/db")
            #expect(stranger.status == .unauthorized, "a stranger cannot make the agent scan its database: \(stranger.status)")
            let admin = try await client.signUp("admin@example.com")
            #expect(try await client.get("/health/db", token: admin.token).json["status"] as? Bool == true)
            #expect(try await client.get("/api/version").json["version"] as? String == "0.1.0")
            let config = try await client.get("/api/config").json
            #expect(config["name"] as? String == "mAI")
            #expect(config["default_locale"] as? String == "en-US")
        }
    }

    @Test("every answer carries a request id (the caller's when sane) and strict security headers")
    func headers() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let mine = try await client.get("/health", headers: [RequestIDMiddleware.header: "trace-123"])
            #expect(mine.headers[RequestIDMiddleware.header] == "trace-123")
            let hostile = try await client.get("/health", headers: [RequestIDMiddleware.header: "bad id\r\nx"])
            #expect(hostile.headers[RequestIDMiddleware.header]?.count == 16)
            #expect(mine.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(mine.headers[.xContentTypeOptions] == "nosniff")
        }
    }

    @Test("metrics count requests by route and status, for admins only")
    func metrics() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            for _ in 0..<3 { _ = try await client.get("/health") }
            _ = try await client.get("/no/such/thing")
            let text = String(buffer: try await client.get("/metrics", token: admin.token).body)
            #expect(text.contains(#"mai_http_requests_total{method="GET",route="/health",status="200"} 3"#))
            #expect(text.contains(#"status="404""#))
            #expect(text.contains("mai_http_request_duration_seconds_bucket"))
        }
    }

    @Test("the web UI is served with its assets")
    func webUI() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: page.body).contains("/static/app.js"))
            let script = try await client.get("/static/app.js")
            #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            let etag = try #require(script.headers[.eTag])
            #expect(try await client.get("/static/app.js", headers: [.ifNoneMatch: etag]).status == .notModified)
            #expect(try await client.get("/static/../Package.swift").status == .notFound)
        }
    }

    @Test(
        "bad input gets a JSON detail with the right status, never a 500",
        arguments: [
            ("{not json", "application/json", HTTPResponse.Status.badRequest),
            ("[1,2]", "application/json", .unprocessableContent),
            (#""just a string""#, "application/json", .unprocessableContent),
            (#"{"email": 5, "password": "x"}"#, "application/json", .unprocessableContent),
            (#"{"email": "a@b.co"}"#, "application/json", .unprocessableContent),
            (#"{"email": null, "password": "x"}"#, "application/json", .unprocessableContent),
            ("", "application/json", .badRequest),
            ("email=a", "application/x-www-form-urlencoded", .unsupportedMediaType),
            // What another site's page may send without asking is never read as JSON.
            (#"{"email": "a@b.co", "password": "x"}"#, "text/plain; charset=+json", .unsupportedMediaType),
            (#"{"email": "a@b.co", "password": "x"}"#, "text/plain", .unsupportedMediaType),
            (#"{"email": "a@b.co", "password": "x"}"#, "", .unsupportedMediaType),
            (#"{"email": "a@b.co", "password": "x"}"#, "application/jsonp", .unsupportedMediaType),
        ]
    )
    func badInput(body: String, contentType: String, status: HTTPResponse.Status) async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let response = try await client.execute(uri: "/api/v1/auths/signin", method: .post, headers: [.contentType: contentType], body: ByteBuffer(string: body))
            #expect(response.status == status, "\(body): \(response.status) \(response.detail)")
            #expect(!response.detail.isEmpty)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        }
    }

    /// A page on another site — another subdomain of the client's domain too, which SameSite=Lax
    /// does not stop — cannot use an employee's cookie to change anything.
    @Test("state-changing requests from another site are refused; the app's own and programs pass")
    func crossSiteRequestsAreRefused() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com", name: "Admin")
            let cookie: HTTPFields = [.cookie: "token=\(admin.token)", .contentType: "application/json"]
            let body = ByteBuffer(string: #"{"name": "Renamed by evil"}"#)
            for (name, value) in [("Sec-Fetch-Site", "same-site"), ("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example.com"),
                                  ("Origin", "null")] {
                var headers = cookie
                headers[HTTPField.Name(name)!] = value
                let response = try await client.execute(uri: "/api/v1/auths/update/profile", method: .post, headers: headers, body: body)
                #expect(response.status == .forbidden && response.detail.contains("another site"), "\(name): \(value) → \(response.status) \(response.detail)")
            }
            #expect(try await client.get("/api/v1/auths/", token: admin.token).json["name"] as? String == "Admin", "nothing was renamed")
            // The app itself (same origin), a typed request, and a program without those headers pass.
            for extra in [("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "none"), ("X-None", "")] {
                var headers = cookie
                if !extra.1.isEmpty { headers[HTTPField.Name(extra.0)!] = extra.1 }
                let response = try await client.execute(uri: "/api/v1/auths/update/profile", method: .post, headers: headers,
                                                         body: ByteBuffer(string: #"{"name": "Ada"}"#))
                #expect(response.status == .ok, "\(extra) → \(response.status) \(response.detail)")
            }
            // Reading is never refused: a GET has no effect.
            var get = cookie
            get[SameOriginMiddleware.fetchSite] = "cross-site"
            #expect(try await client.execute(uri: "/api/v1/auths/", method: .get, headers: get).status == .ok)
        }
    }

    @Test("an Origin is compared with the agent's own address")
    func originComparison() {
        let reason = SameOriginMiddleware.crossSiteReason
        #expect(reason([.origin: "https://chat.acme.example"], "chat.acme.example", []) == nil)
        #expect(reason([.origin: "http://127.0.0.1:8080"], "127.0.0.1:8080", []) == nil)
        #expect(reason([.origin: "https://evil.acme.example"], "chat.acme.example", []) != nil)
        #expect(reason([.origin: "https://chat.acme.example:8443"], "chat.acme.example", []) != nil)
        #expect(reason([.origin: "https://partner.example"], "chat.acme.example", ["https://partner.example"]) == nil, "CORS_ALLOW_ORIGIN is let in")
        #expect(reason([:], "chat.acme.example", []) == nil, "programs send no Origin")
    }

    @Test("field errors name the field")
    func namedField() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let wrongType = try await client.execute(uri: "/api/v1/auths/signin", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"email": 5, "password": "x"}"#))
            #expect(wrongType.detail == "Field 'email' must be a string.")
            let missing = try await client.execute(uri: "/api/v1/auths/signup", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"email": "a@b.co", "password": "x"}"#))
            #expect(missing.detail == "Missing field 'name'.")
        }
    }

    @Test("an oversized body is refused with 413 and unknown routes with 404")
    func sizeAndRoutes() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let big = ByteBuffer(string: #"{"email":""# + String(repeating: "a", count: 2 << 20) + #"","password":"x"}"#)
            let response = try await client.execute(uri: "/api/v1/auths/signin", method: .post, headers: [.contentType: "application/json"], body: big)
            #expect(response.status == .contentTooLarge)
            #expect(response.detail.contains("larger than"))
            let missing = try await client.get("/api/v1/nothing-here")
            #expect(missing.status == .notFound)
            #expect(missing.detail.contains("/api/v1/nothing-here"))
        }
    }
}

@Suite("OpenAPI")
struct OpenAPITests {
    @Test("the served spec lists exactly the routes the router has")
    func specMatchesRoutes() async throws {
        let agent = try await TestAgent()
        let spec = try await agent.test { client in try await client.get("/openapi.json").json }
        #expect(spec["openapi"] as? String == "3.1.0")
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        let routed = Set(agent.routes.map { route -> String in
            let path = route.path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : segment == "**" ? "{path}" : String(segment)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        })
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.json: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
    }
}
