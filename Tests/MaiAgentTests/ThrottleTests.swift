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

    /// Attempts are counted before their bcrypt check: 25 at once on one account from one address
    /// (24 wrong, 1 right) get at most the pair's allowance of wrong-password answers — once all
    /// 24 wrong ones were checked, because each was counted only after its check.
    @Test("concurrent guesses see each other: no more checked than the allowance")
    func concurrentGuesses() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in _ = try await client.signUp("admin@example.com") }
        let statuses = try await agent.testLive { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<25 {
                    group.addTask {
                        try await client.signIn("admin@example.com", password: index == 12 ? "correct horse" : "wrong guess \(index)",
                                                address: "203.0.113.7").status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        let wrong = statuses.filter { $0 == .badRequest }.count
        #expect(wrong <= SignInThrottle.Policy().pairAllowance + 1, "wrong passwords checked: \(wrong) of 24 (\(statuses))")
        #expect(statuses.allSatisfy { [.ok, .badRequest, .tooManyRequests].contains($0) }, "\(statuses)")
        #expect(statuses.filter { $0 == .tooManyRequests }.count >= 25 - SignInThrottle.Policy().pairAllowance - 2, "\(statuses)")
    }

    /// The known-address exemption comes from the database (the sessions keep their address), so a
    /// restart does not hand an attacker the owner's lock-out: a fresh throttle — as after a restart —
    /// still lets the owner's address pass the e-mail lock.
    @Test("the owner's known address survives a restart of the throttle")
    func knownAddressFromTheDatabase() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            try await client.signUp("admin@example.com")
            #expect(try await client.signIn("admin@example.com", address: "10.9.9.9").status == .ok)
        }
        let user = try #require(try await agent.services.users.find(email: "admin@example.com"))
        #expect(try await agent.services.sessions.hasSignedIn(userID: user.id, from: "10.9.9.9"))
        #expect(try await !agent.services.sessions.hasSignedIn(userID: user.id, from: "203.0.113.5"))
        let fresh = SignInThrottle()
        for index in 0..<12 { fresh.recordFailure(email: "admin@example.com", address: "203.0.113.\(index)", now: 1000) }
        #expect(fresh.admit(email: "admin@example.com", address: "203.0.113.200", knownAddress: false, now: 1001) != nil, "a stranger is held by the e-mail lock")
        #expect(fresh.admit(email: "admin@example.com", address: "10.9.9.9", knownAddress: true, now: 1001) == nil, "the owner's address is not")
    }

    /// One bound on bcrypt work for the whole agent: beyond it, an answer at once (503, Retry-After)
    /// instead of a queue that made a real user's sign-in take 14 s during a flood.
    @Test("bcrypt work beyond the bound is refused at once")
    func bcryptBound() async throws {
        let gate = BcryptGate(limit: 2)
        let releaseFirst = AsyncStream<Void>.makeStream(), releaseSecond = AsyncStream<Void>.makeStream()
        let started = AsyncStream<Void>.makeStream()
        let first = Task { try await gate.run { started.continuation.yield(); for await _ in releaseFirst.stream { break }; return 1 } }
        let second = Task { try await gate.run { started.continuation.yield(); for await _ in releaseSecond.stream { break }; return 2 } }
        var iterator = started.stream.makeAsyncIterator()
        _ = await iterator.next()
        _ = await iterator.next()
        // Both are inside the gate and stay there until released: a third is refused, whatever the timing.
        let refused = await #expect(throws: APIError.self) { _ = try await gate.run { 3 } }
        #expect(refused?.status == .serviceUnavailable && refused?.headers[.retryAfter] == "2", "\(String(describing: refused))")
        releaseFirst.continuation.finish()
        releaseSecond.continuation.finish()
        #expect(try await first.value + second.value == 3)
        #expect(try await gate.run { 4 } == 4, "free again once the work ended")
    }
}

/// One-request uploads hold their body in memory: a bound in total and per person, answered at once.
@Suite struct UploadGateTests {
    @Test func wholeUploadsAreBoundedInTotalAndPerPerson() async throws {
        let gate = ConcurrencyGate(total: 2, perUser: 1)
        let refusal: @Sendable (Bool) -> APIError = { mine in APIError(.tooManyRequests, mine ? "yours" : "everyone's") }
        let releaseA = AsyncStream<Void>.makeStream(), releaseB = AsyncStream<Void>.makeStream()
        let started = AsyncStream<Void>.makeStream()
        let a = Task { try await gate.run(user: "ada", refusal: refusal) { started.continuation.yield(); for await _ in releaseA.stream { break }; return 1 } }
        var iterator = started.stream.makeAsyncIterator()
        _ = await iterator.next()
        // Ada's second upload while her first is received: her own bound.
        let own = await #expect(throws: APIError.self) { _ = try await gate.run(user: "ada", refusal: refusal) { 0 } }
        #expect(own?.detail == "yours" && own?.status == .tooManyRequests)
        let b = Task { try await gate.run(user: "bob", refusal: refusal) { started.continuation.yield(); for await _ in releaseB.stream { break }; return 2 } }
        _ = await iterator.next()
        // Two running: a third person is refused by the total.
        let total = await #expect(throws: APIError.self) { _ = try await gate.run(user: "cleo", refusal: refusal) { 0 } }
        #expect(total?.detail == "everyone's")
        releaseA.continuation.finish()
        releaseB.continuation.finish()
        #expect(try await a.value + b.value == 3)
        #expect(try await gate.run(user: "ada", refusal: refusal) { 4 } == 4, "free again")
    }
}
