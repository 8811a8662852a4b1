import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MaiAgent

@Suite("User management")
struct UsersTests {
    @Test("the admin adds, lists, changes, deactivates and deletes employees")
    func lifecycle() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com", name: "Admin")
            let added = try await client.post("/api/v1/auths/add", ["name": "Eve", "email": "eve@example.com", "password": "password123"], token: admin.token)
            #expect(added.status == .ok)
            #expect(added.json["role"] as? String == "user")
            let eveID = try #require(added.json["id"] as? String)
            let list = try await client.get("/api/v1/users/", token: admin.token).json
            #expect(list["total"] as? Int == 2)
            #expect((list["users"] as? [[String: Any]])?.compactMap { $0["email"] as? String } == ["admin@example.com", "eve@example.com"])
            #expect((list["users"] as? [[String: Any]])?.allSatisfy { $0["password_hash"] == nil } == true)

            let eve = try #require(try await client.signIn("eve@example.com", password: "password123").json["token"] as? String)
            let renamed = try await client.post("/api/v1/users/\(eveID)/update", ["name": "Eve A."], token: admin.token)
            #expect(renamed.json["name"] as? String == "Eve A.")

            let deactivated = try await client.post("/api/v1/users/\(eveID)/deactivate", [:], token: admin.token)
            #expect(deactivated.json["is_active"] as? Bool == false)
            #expect(try await client.get("/api/v1/auths/", token: eve).status == .unauthorized)
            let refused = try await client.signIn("eve@example.com", password: "password123")
            #expect(refused.status == .forbidden)
            #expect(refused.detail.contains("deactivated"))
            #expect(try await client.post("/api/v1/users/\(eveID)/activate", [:], token: admin.token).status == .ok)
            #expect(try await client.signIn("eve@example.com", password: "password123").status == .ok)

            let reset = try await client.post("/api/v1/users/\(eveID)/update", ["password": "brand new pass"], token: admin.token)
            #expect(reset.status == .ok)
            #expect(try await client.signIn("eve@example.com", password: "brand new pass").status == .ok)

            let deleted = try await client.execute(uri: "/api/v1/users/\(eveID)", method: .delete, headers: [.authorization: "Bearer \(admin.token)"])
            #expect(deleted.status == .ok)
            #expect(try await client.get("/api/v1/users/\(eveID)", token: admin.token).status == .notFound)
            #expect(try await client.get("/api/v1/users/", token: admin.token).json["total"] as? Int == 1)
        }
    }

    @Test("the last admin can be neither demoted, deactivated nor deleted")
    func lastAdmin() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            let demote = try await client.post("/api/v1/users/update/role", ["id": admin.id, "role": "user"], token: admin.token)
            #expect(demote.status == .badRequest)
            #expect(demote.detail.contains("no active administrator"))
            #expect(try await client.post("/api/v1/users/\(admin.id)/deactivate", [:], token: admin.token).status == .badRequest)
            let delete = try await client.execute(uri: "/api/v1/users/\(admin.id)", method: .delete, headers: [.authorization: "Bearer \(admin.token)"])
            #expect(delete.status == .badRequest)
            // With a second admin, the first may step down.
            let second = try await client.post("/api/v1/auths/add", ["name": "Two", "email": "two@example.com", "password": "password123", "role": "admin"], token: admin.token)
            let secondID = try #require(second.json["id"] as? String)
            #expect(try await client.post("/api/v1/users/update/role", ["id": admin.id, "role": "user"], token: admin.token).status == .ok)
            // The demoted admin's token no longer opens admin routes.
            #expect(try await client.get("/api/v1/users/", token: admin.token).status == .forbidden)
            let two = try #require(try await client.signIn("two@example.com", password: "password123").json["token"] as? String)
            #expect(try await client.post("/api/v1/users/\(secondID)/deactivate", [:], token: two).status == .badRequest)
        }
    }

    @Test("paging parameters are checked")
    func paging() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let admin = try await client.signUp("admin@example.com")
            #expect(try await client.get("/api/v1/users/?page=0", token: admin.token).status == .badRequest)
            #expect(try await client.get("/api/v1/users/?limit=abc", token: admin.token).status == .badRequest)
            #expect(try await client.get("/api/v1/users/?page=2&limit=1", token: admin.token).json["total"] as? Int == 1)
            #expect(try await client.get("/api/v1/users/nope", token: admin.token).status == .notFound)
        }
    }
}
