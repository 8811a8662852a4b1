import Foundation
import MaiCore
import Testing
@testable import MaiFleet

/// `maictl keys create`: each client its own key, handed to its agent; a shared key stays enabled.
@Suite struct ClientKeyCreationTests {
    let openRouter = FakeKeyManagement()
    static let day = Date(timeIntervalSince1970: 1_796_256_000)  // 2026-12-03

    func creation(_ agent: FakeAgent, client: String = "acme") -> ClientKeyCreation {
        ClientKeyCreation(client: client, limit: Money(nanos: 50_000_000_000), limitReset: "monthly", management: openRouter, agent: agent,
                          now: { Self.day })
    }

    @Test func aClientOnTheSharedKeyGetsItsOwnAndTheSharedKeyStaysEnabled() async throws {
        let shared = openRouter.add(secret: "sk-or-v1-fleet", name: "fleet", limit: nil, reset: nil)
        let agent = FakeAgent(current: shared, openRouter: openRouter)
        let result = try await creation(agent).run()
        guard case .created(let hash, let name) = result else { Issue.record("\(result)"); return }
        #expect(name == "mai-acme-2026-12-03")
        #expect(agent.current == hash, "the agent switched to the new key")
        let made = try #require(openRouter.keys[hash])
        #expect(made.limit == Money(nanos: 50_000_000_000) && made.limitReset == "monthly", "\(made)")
        #expect(openRouter.keys[shared]?.disabled == false, "the shared key is not disabled: other clients use it")
        #expect(!openRouter.calls.contains { $0.hasPrefix("patch") || $0.hasPrefix("delete") }, "\(openRouter.calls)")

        // Again: the client's own key is kept, nothing is created.
        let again = try await creation(agent).run()
        #expect(again == .kept(hash: hash, name: "mai-acme-2026-12-03"))
        #expect(openRouter.calls.filter { $0 == "create" }.count == 1, "\(openRouter.calls)")
    }

    @Test func anotherClientsKeyIsNotMistakenForOwn() async throws {
        let other = openRouter.add(secret: "sk-or-v1-globex", name: "mai-globex-2026-12-01", limit: nil, reset: nil)
        let agent = FakeAgent(current: other, openRouter: openRouter)
        guard case .created = try await creation(agent).run() else { Issue.record("acme must get its own key"); return }
        #expect(agent.current != other)
    }

    @Test func aKeyTheAgentRefusesIsDeletedAgainAndTheAgentKeepsItsKey() async throws {
        let shared = openRouter.add(secret: "sk-or-v1-fleet", name: "fleet", limit: nil, reset: nil)
        let agent = FakeAgent(current: shared, openRouter: openRouter)
        agent.state.withLock { $0.refuse = true }
        let error = await #expect(throws: ClientKeyCreation.Failure.self) { _ = try await creation(agent).run() }
        #expect(error?.description.contains("the new key was deleted again, nothing changed") == true, "\(String(describing: error))")
        #expect(agent.current == shared)
        #expect(Set(openRouter.keys.keys) == [shared], "no unused key left at OpenRouter: \(openRouter.keys.keys)")
    }

    @Test func anAgentThatCannotBeAskedNamesTheDeploy() async throws {
        let agent = FakeAgent(current: "x", openRouter: openRouter)
        agent.state.withLock { $0.down = true }
        let error = await #expect(throws: ClientKeyCreation.Failure.self) { _ = try await creation(agent).run() }
        #expect(error?.description.contains("maictl deploy --only acme") == true, "\(String(describing: error))")
        #expect(openRouter.calls.isEmpty, "nothing was created: \(openRouter.calls)")
    }
}
