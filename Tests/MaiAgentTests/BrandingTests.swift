import Foundation
import Hummingbird
import HummingbirdTesting
import MaiCore
import Testing

@testable import MaiAgent

@Suite("Branding")
struct BrandingTests {
    static let svg = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#b3261e"/></svg>"##
    /// The same SVG as the agent stores and serves it: written anew from the allowlist.
    static let storedSVG = ##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect fill="#b3261e" height="8" width="8"></rect></svg>"##

    static func push(_ client: any TestClientProtocol, _ update: BrandingUpdate, token: String? = AdminAPITests.token) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: "/admin/v1/branding", method: .put, headers: headers,
                                        body: ByteBuffer(data: try AdminAPI.encoder.encode(update)))
    }

    static let acme = BrandingUpdate(name: "Acme Assistant", light: ["primary": "#b3261e", "on-primary": "#ffffff"],
                                     dark: ["primary": "#f2b8b5", "on-primary": "#601410"],
                                     logo: BrandImage(contentType: "image/svg+xml", data: Data(svg.utf8)))

    @Test("a push through the admin API is served at once: name, colours, logo, favicon")
    func pushIsServedAtOnce() async throws {
        let agent = try await TestAgent()
        let before = try await agent.test { client in
            let css = String(buffer: try await client.get("/branding.css").body)
            #expect(!css.contains("--color-primary"))
            #expect(try await client.get("/api/config").json["name"] as? String == "mAI")
            let logo = try await client.get("/branding/logo")
            #expect(logo.headers[.contentType] == "image/svg+xml")
            return logo.headers[.eTag]
        }
        try await AdminAPITests.adminApp(agent).test(.router) { client in
            let response = try await Self.push(client, Self.acme)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let state = try AdminAPI.decoder.decode(BrandingState.self, from: Data(buffer: response.body))
            #expect(state.name == "Acme Assistant" && state.customName)
            #expect(state.logo?.contentType == "image/svg+xml")
            #expect(state.favicon == nil)
        }
        try await agent.test { client in
            let css = try await client.get("/branding.css")
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.headers[.cacheControl] == "no-cache")
            let text = String(buffer: css.body)
            #expect(text.contains(":root {\n  --color-primary: #b3261e;\n  --color-on-primary: #ffffff;\n}"))
            #expect(text.contains(":root[data-theme=\"dark\"] {\n  --color-primary: #f2b8b5;"))
            #expect(text.contains("@media (prefers-color-scheme: dark)"))
            // The strict CSP is untouched: the colours come as a style sheet, not inline.
            #expect(css.headers[.contentSecurityPolicy]?.contains("style-src 'self';") == true)
            #expect(try await client.get("/api/config").json["name"] as? String == "Acme Assistant")
            let branding = try await client.get("/api/v1/branding").json
            #expect(branding["name"] as? String == "Acme Assistant")
            #expect(branding["has_logo"] as? Bool == true)
            let logo = try await client.get("/branding/logo")
            #expect(String(buffer: logo.body) == Self.storedSVG)
            #expect(logo.headers[.eTag] != before)
            // No favicon of its own: the logo stands in.
            let favicon = try await client.get("/favicon.ico")
            #expect(String(buffer: favicon.body) == Self.storedSVG)
            let etag = try #require(logo.headers[.eTag])
            #expect(try await client.get("/branding/logo", headers: [.ifNoneMatch: etag]).status == .notModified)
        }
    }

    @Test("the agent validates again: malicious SVGs, bad contrast and fake PNGs are refused with reasons")
    func agentValidatesAgain() async throws {
        let agent = try await TestAgent()
        try await AdminAPITests.adminApp(agent).test(.router) { client in
            let evil = BrandingUpdate(logo: BrandImage(contentType: "image/png", data: Data(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)))
            let refused = try await Self.push(client, evil)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.detail.contains("logo: SVG refused: it contains a <script> element"), "\(refused.detail)")
            let external = BrandingUpdate(favicon: BrandImage(contentType: "image/svg+xml", data: Data(#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/t.png"/></svg>"#.utf8)))
            #expect(try await Self.push(client, external).detail.contains("external resource"))
            let contrast = try await Self.push(client, BrandingUpdate(light: ["primary": "#777777"]))
            #expect(contrast.status == .unprocessableContent)
            #expect(contrast.detail.contains("contrast of 4.48:1"))
            #expect(try await Self.push(client, BrandingUpdate(name: "x"), token: nil).status == .unauthorized)
            let garbage = try await client.execute(uri: "/admin/v1/branding", method: .put, headers: [.authorization: "Bearer \(AdminAPITests.token)"],
                                                   body: ByteBuffer(string: "{\"light\": 5}"))
            #expect(garbage.status == .unprocessableContent)
        }
        try await agent.test { client in
            let css = String(buffer: try await client.get("/branding.css").body)
            #expect(!css.contains("--color"))
        }
    }

    @Test("administrators change branding in the settings UI; others may not")
    func settingsUI() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let form = ["name": "Globex AI", "light": ["primary": "#004d40", "on-primary": "#ffffff"]] as [String: Any]
            for token in [tokens.user, tokens.pending] {
                let response = try await client.execute(uri: "/api/v1/admin/branding", method: .put,
                                                        headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: Body.json(form))
                #expect(response.status == .forbidden)
            }
            #expect(try await client.get("/api/v1/admin/branding").status == .unauthorized)
            let saved = try await client.execute(uri: "/api/v1/admin/branding", method: .put,
                                                 headers: [.authorization: "Bearer \(tokens.admin)", .contentType: "application/json"], body: Body.json(form))
            #expect(saved.status == .ok, "\(saved.detail)")
            #expect(saved.json["name"] as? String == "Globex AI")
            #expect(try await client.get("/api/config").json["name"] as? String == "Globex AI")
            #expect(String(buffer: try await client.get("/branding.css").body).contains("--color-primary: #004d40;"))

            // Logo upload: raw bytes, sniffed; an SVG with an event handler is refused and changes nothing.
            let evil = try await client.execute(uri: "/api/v1/admin/branding/logo", method: .put, headers: [.authorization: "Bearer \(tokens.admin)"],
                                                body: ByteBuffer(string: #"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#))
            #expect(evil.status == .unprocessableContent)
            #expect(evil.detail.contains("onload="))
            let upload = try await client.execute(uri: "/api/v1/admin/branding/logo", method: .put, headers: [.authorization: "Bearer \(tokens.admin)"],
                                                  body: ByteBuffer(string: Self.svg))
            #expect(upload.status == .ok)
            #expect((upload.json["logo"] as? [String: Any])?["content_type"] as? String == "image/svg+xml")
            #expect(String(buffer: try await client.get("/branding/logo").body) == Self.storedSVG)
            // Name and colours again: the logo stays.
            let again = try await client.execute(uri: "/api/v1/admin/branding", method: .put,
                                                 headers: [.authorization: "Bearer \(tokens.admin)", .contentType: "application/json"], body: Body.json(["name": "Globex"]))
            #expect(again.json["logo"] != nil && !(again.json["logo"] is NSNull))
            let bad = try await client.execute(uri: "/api/v1/admin/branding", method: .put,
                                               headers: [.authorization: "Bearer \(tokens.admin)", .contentType: "application/json"],
                                               body: Body.json(["light": ["primary": "#ffff00"]]))
            #expect(bad.status == .unprocessableContent)
            #expect(bad.detail.contains("contrast"))
            let reset = try await client.execute(uri: "/api/v1/admin/branding", method: .delete, headers: [.authorization: "Bearer \(tokens.admin)"])
            #expect(reset.status == .ok)
            #expect(try await client.get("/api/config").json["name"] as? String == "mAI")
            #expect(try await client.get("/branding/logo").headers[.eTag] == "\"mark-default\"")
        }
    }
}
