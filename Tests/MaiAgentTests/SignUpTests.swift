import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MaiAgent

@Suite("Sign-up")
struct SignUpTests {
    @Test("the first account becomes admin and sign-up closes")
    func firstIsAdmin() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let config = try await client.get("/api/config").json
            #expect(config["onboarding"] as? Bool == true)
            let admin = try await client.signUp("Boss@Example.com ", name: "Boss")
            #expect(admin.role == "admin")
            let me = try await client.get("/api/v1/auths/", token: admin.token).json
            #expect(me["email"] as? String == "boss@example.com")
            let second = try await client.post("/api/v1/auths/signup", ["name": "B", "email": "b@example.com", "password": "password123"])
            #expect(second.status == .forbidden)
            #expect(second.detail.contains("Sign-up is closed"))
            let after = try await client.get("/api/config").json
            #expect(after["onboarding"] as? Bool == false)
            #expect((after["features"] as? [String: Any])?["enable_signup"] as? Bool == false)
        }
    }

    /// A deployed agent starts with sign-up closed (maictl writes ENABLE_SIGNUP=false): the first
    /// visitor of a new domain must not become its admin; the operator makes the first admin.
    @Test("with sign-up closed from the start, no stranger becomes the first admin")
    func closedFromTheStart() async throws {
        let agent = try await TestAgent(environment: ["ENABLE_SIGNUP": "false"])
        try await agent.test { client in
            let config = try await client.get("/api/config").json
            #expect(config["onboarding"] as? Bool == false, "the page must not offer to create the admin: \(config)")
            #expect((config["features"] as? [String: Any])?["enable_signup"] as? Bool == false)
            let stranger = try await client.post("/api/v1/auths/signup", ["name": "Mallory", "email": "m@example.net", "password": "password123"])
            #expect(stranger.status == .forbidden, "\(stranger.status): \(stranger.detail)")
            #expect(try await agent.services.users.count() == 0)
        }
    }

    @Test("simultaneous first sign-ups make exactly one admin")
    func concurrentFirstSignUps() async throws {
        let agent = try await TestAgent()
        let statuses = try await agent.testLive { client in
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let response = try await client.post("/api/v1/auths/signup", ["name": "P\(index)", "email": "p\(index)@example.com", "password": "password123"])
                        return (response.status, response.json["role"] as? String ?? "")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(statuses.filter { $0.0 == .ok }.count == 1)
        #expect(statuses.filter { $0.0 == .ok }.first?.1 == "admin")
        #expect(statuses.filter { $0.0 == .forbidden }.count == 7)
        let admins = try await agent.services.users.list(offset: 0, limit: 50).users.filter { $0.role == .admin }
        #expect(admins.count == 1)
        #expect(try await agent.services.users.count() == 1)
    }

    @Test("re-opened sign-up gives newcomers the default role; pending sees only the waiting answer")
    func reopenedSignUp() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            let open = try await client.post("/api/v1/auths/admin/config", ["ENABLE_SIGNUP": true], token: admin.token)
            #expect(open.status == .ok)
            #expect(open.json["ENABLE_SIGNUP"] as? Bool == true)
            #expect((open.json["sources"] as? [String: String])?["ENABLE_SIGNUP"] == "database")
            let newcomer = try await client.signUp("new@example.com")
            #expect(newcomer.role == "pending")
            // Pending can see who they are …
            let me = try await client.get("/api/v1/auths/", token: newcomer.token)
            #expect(me.status == .ok)
            #expect(me.json["role"] as? String == "pending")
            // … but nothing an approved user can do.
            let key = try await client.post("/api/v1/auths/api_key", [:], token: newcomer.token)
            #expect(key.status == .forbidden)
            #expect(key.detail.contains("waiting for approval"))
            // The admin approves: the same token now works.
            let approve = try await client.post("/api/v1/users/\(newcomer.id)/update", ["role": "user"], token: admin.token)
            #expect(approve.status == .ok)
            #expect(try await client.post("/api/v1/auths/api_key", [:], token: newcomer.token).status == .ok)
            // DEFAULT_USER_ROLE=user lets newcomers in directly.
            #expect(try await client.post("/api/v1/auths/admin/config", ["DEFAULT_USER_ROLE": "user"], token: admin.token).status == .ok)
            #expect(try await client.signUp("direct@example.com").role == "user")
            // admin is refused as a default role.
            let bad = try await client.post("/api/v1/auths/admin/config", ["DEFAULT_USER_ROLE": "admin"], token: admin.token)
            #expect(bad.status == .badRequest)
        }
    }

    @Test("ENABLE_SIGNUP=false keeps even the first sign-up closed")
    func closedByEnvironment() async throws {
        let agent = try await TestAgent(environment: ["ENABLE_SIGNUP": "false"])
        try await agent.test { client in
            let response = try await client.post("/api/v1/auths/signup", ["name": "A", "email": "a@example.com", "password": "password123"])
            #expect(response.status == .forbidden)
        }
    }

    @Test(
        "bad sign-up input is refused with a clear reason",
        arguments: [
            (["name": "A", "email": "not-an-email", "password": "password123"], "not a valid e-mail"),
            (["name": "A", "email": "a@example.com", "password": "short"], "at least 8"),
            (["name": "A", "email": "a@example.com", "password": String(repeating: "é", count: 37)], "at most 72 bytes"),
            (["name": "  ", "email": "a@example.com", "password": "password123"], "name must not be empty"),
            // SQLite would store "nul\0x@example.com" cut at the NUL; an ESC reaches the operator's terminal.
            (["name": "A", "email": "nul\u{0}x@example.com", "password": "password123"], "control or invisible characters"),
            (["name": "Eve\u{1B}]0;pwned\u{07}", "email": "a@example.com", "password": "password123"], "control or invisible characters"),
            (["name": "Bob\u{202E}nimda", "email": "a@example.com", "password": "password123"], "direction override"),
            (["name": "Line\nbreak", "email": "a@example.com", "password": "password123"], "control or invisible characters"),
        ] as [([String: String], String)]
    )
    func badInput(form: [String: String], message: String) async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let response = try await client.post("/api/v1/auths/signup", form)
            #expect(response.status == .badRequest)
            #expect(response.detail.contains(message), "\(response.detail)")
            #expect(try await agent.services.users.count() == 0)
        }
    }

    /// Names people really have stay allowed: accents, scripts, ZWNJ (Persian), emoji joined by ZWJ.
    @Test("real names with joiners and emoji are accepted")
    func realNames() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com", name: "Zoë Łukasiewicz")
            #expect(admin.role == "admin")
            for (index, name) in ["مهرداد\u{200C}ها", "Ada 👩\u{200D}💻", "山田 太郎"].enumerated() {
                let added = try await client.post("/api/v1/auths/add", ["name": name, "email": "p\(index)@example.com", "password": "password123"],
                                                  token: admin.token)
                #expect(added.status == .ok, "\(name): \(added.status) \(added.detail)")
                #expect(added.json["name"] as? String == name)
            }
        }
    }

    @Test("e-mails are unique regardless of case")
    func uniqueEmail() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            let duplicate = try await client.post("/api/v1/auths/add", ["name": "X", "email": "ADMIN@example.com", "password": "password123"], token: admin.token)
            #expect(duplicate.status == .badRequest)
            #expect(duplicate.detail.contains("already exists"))
        }
    }

    @Test("the binary's bcrypt cost is at least 12")
    func bcryptCost() async throws {
        let config = try AgentConfig(environment: [:])
        let hash = try await PasswordHasher(cost: config.bcryptCost).hash("password123")
        #expect(hash.hasPrefix("$2b$12$"))
    }
}
