import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import MaiAgent

@Suite("Sign-in throttling")
struct ThrottleTests {
    @Test("repeated failures get 429 with Retry-After, even with the right password, until the lock ends")
    func locksAndUnlocks() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            try await client.signUp("admin@example.com")
            for _ in 0..<5 {
                #expect(try await client.signIn("admin@example.com", password: "wrong password").status == .badRequest)
            }
            let sixth = try await client.signIn("admin@example.com", password: "wrong password")
            #expect(sixth.status == .badRequest)  // the sixth is counted, and locks
            let locked = try await client.signIn("admin@example.com")
            #expect(locked.status == .tooManyRequests)
            let retryAfter = try #require(locked.headers[.retryAfter].flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 900)
            #expect(locked.detail.contains("Try again in"))
            agent.clock.advance(seconds: TimeInterval(retryAfter + 1))
            #expect(try await client.signIn("admin@example.com").status == .ok)
        }
    }

    @Test("no one can lock an account forever: locks are capped and refused attempts are not counted")
    func lockIsBounded() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            try await client.signUp("admin@example.com")
            #expect(try await client.signIn("admin@example.com", address: "10.0.0.1").status == .ok)
            // An attacker hammers from one address for a long time.
            var longest = 0
            for _ in 0..<200 {
                let response = try await client.signIn("admin@example.com", password: "guess guess", address: "203.0.113.9")
                if let wait = response.headers[.retryAfter].flatMap(Int.init) {
                    longest = max(longest, wait)
                    agent.clock.advance(seconds: 7)
                }
            }
            #expect(longest > 0 && longest <= 900)
            // The owner at home was never locked out: a known-good address passes the e-mail lock.
            agent.clock.advance(seconds: 1)
            let owner = try await client.signIn("admin@example.com", address: "10.0.0.1")
            #expect(owner.status == .ok)
            // 15 minutes after the attack stops, everyone can sign in again.
            agent.clock.advance(seconds: 901)
            #expect(try await client.signIn("admin@example.com", address: "198.51.100.77").status == .ok)
        }
    }

    @Test("an attacker spraying from many addresses cannot keep the owner's usual address out")
    func knownAddressBypassesEmailLock() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            try await client.signUp("admin@example.com")
            #expect(try await client.signIn("admin@example.com", address: "10.1.1.1").status == .ok)
            for index in 0..<30 {
                _ = try await client.signIn("admin@example.com", password: "guess guess", address: "203.0.113.\(index)")
            }
            // A new address is throttled by the e-mail lock …
            #expect(try await client.signIn("admin@example.com", address: "203.0.113.200").status == .tooManyRequests)
            // … the owner's known address is not.
            #expect(try await client.signIn("admin@example.com", address: "10.1.1.1").status == .ok)
        }
    }

    @Test("unknown e-mails are throttled the same way (no account discovery)")
    func unknownEmail() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            try await client.signUp("admin@example.com")
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<7 { statuses.append(try await client.signIn("ghost@example.com", password: "whatever1").status) }
            #expect(statuses.prefix(6).allSatisfy { $0 == .badRequest })
            #expect(statuses.last == .tooManyRequests)
            let wrong = try await client.signIn("admin@example.com", password: "wrong one")
            let ghost = try await client.signIn("nobody@example.com", password: "wrong one")
            #expect(wrong.detail == ghost.detail)
        }
    }
}
