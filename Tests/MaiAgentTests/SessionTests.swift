import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MaiAgent

@Suite("Sessions and tokens")
struct SessionTests {
    @Test("sign-in sets httpOnly SameSite=Lax cookies that authenticate on their own")
    func cookies() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            try await client.signUp("admin@example.com")
            let response = try await client.signIn("admin@example.com")
            #expect(response.status == .ok)
            let cookies = response.headers[values: .setCookie]
            let access = try #require(cookies.first { $0.hasPrefix("token=") })
            #expect(access.contains("HttpOnly") && access.contains("SameSite=Lax") && !access.contains("Secure"))
            #expect(cookies.contains { $0.hasPrefix("refresh_token=") && $0.contains("Path=/api/v1/auths") && $0.contains("HttpOnly") })
            let token = try #require(response.json["token"] as? String)
            let me = try await client.get("/api/v1/auths/", headers: [.cookie: "token=\(token)"])
            #expect(me.status == .ok)
        }
    }

    @Test("cookies are Secure when WEBUI_URL is https")
    func secureCookies() async throws {
        let agent = try await TestAgent(environment: ["WEBUI_URL": "https://chat.acme.example"])
        try await agent.test { client in
            try await client.signUp("admin@example.com")
            let response = try await client.signIn("admin@example.com")
            #expect(response.headers[values: .setCookie].allSatisfy { $0.contains("Secure") })
            #expect(response.headers[.strictTransportSecurity] != nil)
        }
    }

    @Test("access tokens expire after JWT_EXPIRES_IN; refresh rotates them")
    func expiryAndRefresh() async throws {
        let agent = try await TestAgent(environment: ["JWT_EXPIRES_IN": "15m"])
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            #expect(try await client.get("/api/v1/auths/", token: admin.token).status == .ok)
            agent.clock.advance(seconds: 16 * 60)
            let expired = try await client.get("/api/v1/auths/", token: admin.token)
            #expect(expired.status == .unauthorized)
            #expect(expired.detail.contains("Sign in again"))
            let refreshed = try await client.post("/api/v1/auths/refresh", ["refresh_token": admin.refresh])
            #expect(refreshed.status == .ok)
            let newToken = try #require(refreshed.json["token"] as? String)
            let newRefresh = try #require(refreshed.json["refresh_token"] as? String)
            #expect(newRefresh != admin.refresh)
            #expect(try await client.get("/api/v1/auths/", token: newToken).status == .ok)
            // The refresh cookie alone works too.
            let byCookie = try await client.execute(uri: "/api/v1/auths/refresh", method: .post, headers: [.cookie: "refresh_token=\(newRefresh)"])
            #expect(byCookie.status == .ok)
        }
    }

    @Test("reusing a spent refresh token ends the whole family")
    func reuseRevokesFamily() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            let other = try await client.signIn("admin@example.com").json["token"] as? String ?? ""
            let first = try await client.post("/api/v1/auths/refresh", ["refresh_token": admin.refresh])
            #expect(first.status == .ok)
            let rotatedToken = try #require(first.json["token"] as? String)
            let rotatedRefresh = try #require(first.json["refresh_token"] as? String)
            // An attacker replays the old refresh token.
            let replay = try await client.post("/api/v1/auths/refresh", ["refresh_token": admin.refresh])
            #expect(replay.status == .unauthorized)
            #expect(replay.detail.contains("used twice"))
            // Every token of that family is now dead …
            #expect(try await client.get("/api/v1/auths/", token: rotatedToken).status == .unauthorized)
            #expect(try await client.post("/api/v1/auths/refresh", ["refresh_token": rotatedRefresh]).status == .unauthorized)
            // … but another sign-in of the same person is untouched.
            #expect(try await client.get("/api/v1/auths/", token: other).status == .ok)
        }
    }

    @Test("sign-out ends the session; its token and refresh token stop working")
    func signOut() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            // A GET does nothing (an <img src> must not sign anyone out): sign-out is POST.
            let viaGet = try await client.get("/api/v1/auths/signout", token: admin.token)
            #expect(viaGet.status != .ok, "\(viaGet.status)")
            #expect(try await client.get("/api/v1/auths/", token: admin.token).status == .ok, "still signed in after the GET")
            let out = try await client.post("/api/v1/auths/signout", [:], token: admin.token)
            #expect(out.status == .ok)
            #expect(out.headers[values: .setCookie].contains { $0.hasPrefix("token=;") || $0.hasPrefix("token=") && $0.contains("Max-Age=0") })
            #expect(try await client.get("/api/v1/auths/", token: admin.token).status == .unauthorized)
            #expect(try await client.post("/api/v1/auths/refresh", ["refresh_token": admin.refresh]).status == .unauthorized)
        }
    }

    @Test("a password change ends every other session and keeps the current one")
    func passwordChange() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            let laptop = try await client.signIn("admin@example.com").json["token"] as? String ?? ""
            let wrong = try await client.post("/api/v1/auths/update/password", ["password": "nope nope", "new_password": "new password 1"], token: admin.token)
            #expect(wrong.status == .badRequest)
            let changed = try await client.post("/api/v1/auths/update/password", ["password": "correct horse", "new_password": "new password 1"], token: admin.token)
            #expect(changed.status == .ok)
            #expect(try await client.get("/api/v1/auths/", token: admin.token).status == .ok)
            #expect(try await client.get("/api/v1/auths/", token: laptop).status == .unauthorized)
            #expect(try await client.signIn("admin@example.com").status == .badRequest)
            #expect(try await client.signIn("admin@example.com", password: "new password 1").status == .ok)
        }
    }

    @Test("a token signed with another secret, or tampered with, is refused")
    func forgedTokens() async throws {
        let agent = try await TestAgent()
        let forger = await TokenService(secret: .init(String(repeating: "x", count: 40)), clock: agent.clock.clock)
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            let forged = try await forger.accessToken(userID: admin.id, sessionID: "whatever", lifetime: .fifteenMinutes).token
            #expect(try await client.get("/api/v1/auths/", token: forged).status == .unauthorized)
            var tampered = Array(admin.token)
            tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
            #expect(try await client.get("/api/v1/auths/", token: String(tampered)).status == .unauthorized)
            #expect(try await client.get("/api/v1/auths/", token: "garbage").status == .unauthorized)
            #expect(try await client.get("/api/v1/auths/").status == .unauthorized)
        }
    }

    @Test("API keys are shown once, stored hashed, work as Bearer and can be revoked")
    func apiKeys() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            let created = try await client.post("/api/v1/auths/api_key", [:], token: admin.token)
            let key = try #require(created.json["api_key"] as? String)
            #expect(key.hasPrefix("sk-") && key.count >= 40)
            let shown = try await client.get("/api/v1/auths/api_key", token: admin.token)
            #expect(shown.json["api_key"] is NSNull || shown.json["api_key"] == nil)
            #expect(shown.json["prefix"] as? String == String(key.prefix(7)))
            let stored = try await agent.services.apiKeys.find(userID: admin.id)
            #expect(stored?.keyHash == TokenService.sha256Hex(key))
            #expect(try await client.get("/api/v1/auths/", token: key).json["email"] as? String == "admin@example.com")
            #expect(try await client.get("/api/v1/users/", token: key).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/auths/api_key", method: .delete, headers: [.authorization: "Bearer \(admin.token)"]).status == .ok)
            #expect(try await client.get("/api/v1/auths/", token: key).status == .unauthorized)
        }
    }

    /// Whoever learnt an old password may have made an API key with it: a password change or a
    /// reset (by an admin or the operator's CLI) revokes it, and the owner is told.
    @Test("API keys do not survive a password change or a reset")
    func apiKeysEndWithThePassword() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com", password: "correct horse")
            let first = try #require(try await client.post("/api/v1/auths/api_key", [:], token: admin.token).json["api_key"] as? String)
            #expect(try await client.get("/api/v1/auths/", token: first).status == .ok, "the key works before")
            let changed = try await client.post("/api/v1/auths/update/password", ["password": "correct horse", "new_password": "battery staple 2"],
                                                token: admin.token)
            #expect(changed.status == .ok && changed.json["api_key_revoked"] as? Bool == true, "\(changed.status) \(changed.json)")
            #expect(try await client.get("/api/v1/auths/", token: first).status == .unauthorized, "the key made before the change is dead")
            let again = try await client.post("/api/v1/auths/update/password", ["password": "battery staple 2", "new_password": "third password 3"],
                                              token: admin.token)
            #expect(again.json["api_key_revoked"] as? Bool == false, "nothing to revoke the second time: \(again.json)")

            // An admin's reset and the operator's CLI reset end an employee's key too.
            let added = try await client.post("/api/v1/auths/add", ["name": "Emil", "email": "emil@example.com", "password": "password123"], token: admin.token)
            let emilID = try #require(added.json["id"] as? String, "\(added.json)")
            let emil = try await client.post("/api/v1/auths/signin", ["email": "emil@example.com", "password": "password123"])
            let emilToken = try #require(emil.json["token"] as? String)
            let emilKey = try #require(try await client.post("/api/v1/auths/api_key", [:], token: emilToken).json["api_key"] as? String)
            let reset = try await client.post("/api/v1/users/\(emilID)/update", ["password": "new password 4"], token: admin.token)
            #expect(reset.status == .ok, "\(reset.status) \(reset.detail)")
            #expect(try await client.get("/api/v1/auths/", token: emilKey).status == .unauthorized, "an admin's reset ends the key")
            let emil2 = try #require(try await client.post("/api/v1/auths/signin", ["email": "emil@example.com", "password": "new password 4"]).json["token"] as? String)
            let emilKey2 = try #require(try await client.post("/api/v1/auths/api_key", [:], token: emil2).json["api_key"] as? String)
            _ = try await agent.services.resetPassword(email: "emil@example.com", password: "cli password 5")
            #expect(try await client.get("/api/v1/auths/", token: emilKey2).status == .unauthorized, "the operator's CLI reset ends the key")
        }
    }

    /// An avatar is an image, never an address: a path made every viewer's browser call it with
    /// their cookies (e.g. sign-out), an outside URL tells a stranger who looked.
    @Test("avatars are base64 images only")
    func avatarsAreImagesOnly() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            for bad in ["/api/v1/auths/signout", "//evil.example/x.png", "https://tracker.example/p.gif", "data:image/svg+xml;base64,PHN2Zz4=",
                        "data:text/html;base64,PGgxPg=="] {
                let response = try await client.post("/api/v1/auths/update/profile", ["name": "Ada", "profile_image_url": bad], token: admin.token)
                #expect(response.status == .badRequest && response.detail.contains("PNG, JPEG, GIF or WebP"), "\(bad): \(response.status) \(response.detail)")
            }
            let png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
            let good = try await client.post("/api/v1/auths/update/profile", ["name": "Ada", "profile_image_url": png], token: admin.token)
            #expect(good.status == .ok && good.json["profile_image_url"] as? String == png, "\(good.status) \(good.detail)")
        }
    }
}
