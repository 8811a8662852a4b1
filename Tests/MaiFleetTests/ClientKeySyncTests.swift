import Foundation
import MaiCore
import Synchronization
import Testing
@testable import MaiFleet

/// An agent whose key state is fixed (or that does not answer).
struct StubAgent: AgentKeyControl {
    var current: String?
    var down = false

    func openRouterKey() async throws -> OpenRouterKeyState {
        if down { throw AdminAPIError.http(host: "test", status: 502, detail: "down") }
        return OpenRouterKeyState(currentHash: current, currentHint: current == nil ? nil : "sk-or-…", provisional: 0, oldKeys: [],
                                  keySetAt: Date(timeIntervalSince1970: 1_790_000_000), inFlight: 0)
    }

    func switchOpenRouterKey(to secret: Secret) async throws -> OpenRouterKeyState {
        throw AdminAPIError.http(host: "test", status: 500, detail: "not in this test")
    }

    func confirmUsageNow(forcing keyHash: String?) async throws {}
}

/// Audit entries, collected.
final class AuditLines: Sendable {
    private let lines = Mutex<[AuditEntry]>([])
    var all: [AuditEntry] { lines.withLock { $0 } }
    func append(_ entry: AuditEntry) { lines.withLock { $0.append(entry) } }
}

@Suite struct ClientKeyNameTests {
    @Test func onlyTheClientsDatedNamesAreItsOwn() {
        #expect(ClientKeyName.isOwn("mai-acme-2026-12-03", client: "acme"))
        #expect(ClientKeyName.isOwn("mai-acme-2026-12-03-b", client: "acme"), "a second key made by hand the same day")
        #expect(!ClientKeyName.isOwn("mai-acme-eu-2026-12-03", client: "acme"), "client acme-eu's key is not acme's")
        #expect(ClientKeyName.isOwn("mai-acme-eu-2026-12-03", client: "acme-eu"))
        #expect(!ClientKeyName.isOwn("mai-acme-", client: "acme"))
        #expect(!ClientKeyName.isOwn("mai-acme-2026-12-0x", client: "acme"))
        #expect(!ClientKeyName.isOwn("mai-acme-2026-12-031", client: "acme"))
        #expect(!ClientKeyName.isOwn("fleet", client: "acme"))
        #expect(!ClientKeyName.isOwn("mai-globex-2026-12-03", client: "acme"))
    }
}

/// `maictl keys sync`: the key's limit and reset become the client file's; only the client's own key.
@Suite struct ClientKeySyncTests {
    let openRouter = FakeKeyManagement()
    let audit = AuditLines()
    static let fifty = Money(nanos: 50_000_000_000)
    static let eighty = Money(nanos: 80_000_000_000)

    func sync(_ agent: any AgentKeyControl, wanted: ClientKeySync.Limits, dryRun: Bool = false) -> ClientKeySync {
        let audit = self.audit
        return ClientKeySync(client: "acme", wanted: wanted, management: openRouter, agent: agent, dryRun: dryRun,
                             audit: { audit.append($0) }, actor: "ops@laptop", now: { Date(timeIntervalSince1970: 1_796_256_000) })
    }

    func ownKey(limit: Money? = fifty, reset: String? = "monthly") -> String {
        openRouter.add(secret: "sk-or-v1-acme", name: "mai-acme-2026-11-26", limit: limit, reset: reset)
    }

    @Test func aDifferentLimitAndResetAreChangedToTheClientFilesAndAudited() async throws {
        let hash = ownKey()
        let result = try await sync(StubAgent(current: hash), wanted: .init(limit: Self.eighty, limitReset: "weekly")).run()
        #expect(result == .changed(hash: hash, name: "mai-acme-2026-11-26", before: .init(limit: Self.fifty, limitReset: "monthly"),
                                   after: .init(limit: Self.eighty, limitReset: "weekly")), "\(result)")
        #expect(openRouter.patches == [OpenRouterKeyPatch(limit: .some(Self.eighty), limitReset: .some("weekly"))], "\(openRouter.patches)")
        #expect(openRouter.keys[hash]?.limit == Self.eighty && openRouter.keys[hash]?.limitReset == "weekly")
        let entries = audit.all
        #expect(entries.count == 1 && entries[0].action == "key-sync" && entries[0].outcome == "ok" && entries[0].instance == "acme", "\(entries)")
        #expect(entries.first?.detail == "key \(hash.prefix(12)) (mai-acme-2026-11-26) limit $50.00/monthly → $80.00/weekly", "\(entries)")
        #expect(!(entries.first?.detail.contains("sk-or-") ?? true), "no secret in the audit log")
    }

    @Test func noLimitInTheFileSendsNullForLimitAndReset() async throws {
        let hash = ownKey()
        let result = try await sync(StubAgent(current: hash), wanted: .init(limit: nil, limitReset: nil)).run()
        guard case .changed(_, _, _, let after) = result else { Issue.record("\(result)"); return }
        #expect(after.description == "no limit")
        // `.some(nil)`: the PATCH carries "limit": null and "limit_reset": null, not an absent field.
        #expect(openRouter.patches == [OpenRouterKeyPatch(limit: .some(nil), limitReset: .some(nil))], "\(openRouter.patches)")
        #expect(String(decoding: openRouter.patches[0].json(), as: UTF8.self) == #"{"limit":null,"limit_reset":null}"#)
        #expect(openRouter.keys[hash]?.limit == nil)
    }

    @Test func aKeyAlreadyInSyncIsNotTouched() async throws {
        let hash = ownKey()
        let result = try await sync(StubAgent(current: hash), wanted: .init(limit: Self.fifty, limitReset: "monthly")).run()
        #expect(result == .inSync(hash: hash, name: "mai-acme-2026-11-26", limits: .init(limit: Self.fifty, limitReset: "monthly")), "\(result)")
        #expect(openRouter.patches.isEmpty && audit.all.isEmpty, "\(openRouter.calls) \(audit.all)")
    }

    @Test func aDryRunSaysWhatWouldChangeAndChangesNothing() async throws {
        let hash = ownKey()
        let result = try await sync(StubAgent(current: hash), wanted: .init(limit: Self.eighty, limitReset: "monthly"), dryRun: true).run()
        #expect(result == .wouldChange(hash: hash, name: "mai-acme-2026-11-26", before: .init(limit: Self.fifty, limitReset: "monthly"),
                                       after: .init(limit: Self.eighty, limitReset: "monthly")), "\(result)")
        #expect(openRouter.patches.isEmpty && audit.all.isEmpty && openRouter.keys[hash]?.limit == Self.fifty)
    }

    @Test func aSharedKeyIsLeftAloneAndTheMessageNamesKeysCreate() async throws {
        let shared = openRouter.add(secret: "sk-or-v1-fleet", name: "fleet", limit: Self.fifty, reset: "monthly")
        let error = await #expect(throws: ClientKeySync.Failure.self) {
            _ = try await sync(StubAgent(current: shared), wanted: .init(limit: Self.eighty, limitReset: "weekly")).run()
        }
        #expect(error?.description.contains("not acme's own key") == true && error?.description.contains("maictl keys create acme") == true,
                "\(String(describing: error))")
        #expect(openRouter.patches.isEmpty, "the shared key keeps its limit: \(openRouter.patches)")
    }

    @Test func anotherClientsKeyIsNotTakenForOwn() async throws {
        let other = openRouter.add(secret: "sk-or-v1-eu", name: "mai-acme-eu-2026-11-26", limit: nil, reset: nil)
        let error = await #expect(throws: ClientKeySync.Failure.self) {
            _ = try await sync(StubAgent(current: other), wanted: .init(limit: Self.eighty, limitReset: nil)).run()
        }
        #expect(error?.description.contains("maictl keys create acme") == true, "\(String(describing: error))")
        #expect(openRouter.patches.isEmpty)
    }

    @Test func aFailedChangeSaysWhatTheKeyKeepsAndIsAudited() async throws {
        let hash = ownKey()
        openRouter.setDown(["patch"])
        let error = await #expect(throws: ClientKeySync.Failure.self) {
            _ = try await sync(StubAgent(current: hash), wanted: .init(limit: Self.eighty, limitReset: "monthly")).run()
        }
        #expect(error?.description.contains("it keeps $50.00/monthly") == true && error?.description.contains("Run maictl keys sync acme again") == true,
                "\(String(describing: error))")
        #expect(error?.before == .init(limit: Self.fifty, limitReset: "monthly"))
        #expect(audit.all.map(\.outcome) == ["failed"], "\(audit.all)")
    }

    @Test func anAgentWithoutKeyOrUnknownKeyNamesKeysCreate() async throws {
        let none = await #expect(throws: ClientKeySync.Failure.self) {
            _ = try await sync(StubAgent(current: nil), wanted: .init(limit: Self.eighty, limitReset: nil)).run()
        }
        #expect(none?.description == "acme: the agent has no OpenRouter key; give it its own: maictl keys create acme", "\(String(describing: none))")
        let unknown = await #expect(throws: ClientKeySync.Failure.self) {
            _ = try await sync(StubAgent(current: "deadbeef"), wanted: .init(limit: Self.eighty, limitReset: nil)).run()
        }
        #expect(unknown?.description.contains("OpenRouter does not know the agent's key deadbeef") == true
                && unknown?.description.contains("maictl keys create acme") == true, "\(String(describing: unknown))")
        let down = await #expect(throws: ClientKeySync.Failure.self) {
            _ = try await sync(StubAgent(current: nil, down: true), wanted: .init(limit: Self.eighty, limitReset: nil)).run()
        }
        #expect(down?.description.contains("nothing was changed") == true && down?.description.contains("maictl health --only acme") == true,
                "\(String(describing: down))")
        #expect(openRouter.patches.isEmpty)
    }
}
