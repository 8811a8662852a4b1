import Foundation
import MaiCore
import Synchronization
import Testing
@testable import MaiFleet

/// OpenRouter's key store in memory, with an outage switch per operation.
final class FakeKeyManagement: OpenRouterKeyManaging {
    struct Store {
        var keys: [String: OpenRouterKey] = [:]
        var secrets: [String: String] = [:]
        var down: Set<String> = []
        var calls: [String] = []
        var patches: [OpenRouterKeyPatch] = []
        var counter = 0
    }
    let store = Mutex(Store())
    /// Told of every call before it is answered (`"patch <hash>"`), e.g. to note what else had happened by then.
    let observer: (@Sendable (String) -> Void)?

    init(observer: (@Sendable (String) -> Void)? = nil) {
        self.observer = observer
    }

    func add(secret: String, name: String, limit: Money?, reset: String?) -> String {
        let hash = Self.hash(secret)
        store.withLock { $0.keys[hash] = Self.key(hash: hash, name: name, limit: limit, reset: reset); $0.secrets[hash] = secret }
        return hash
    }

    static func hash(_ secret: String) -> String { "h" + String(secret.utf8.reduce(UInt64(5381)) { $0 &* 33 &+ UInt64($1) }, radix: 16) }

    static func key(hash: String, name: String, limit: Money?, reset: String?) -> OpenRouterKey {
        OpenRouterKey(hash: hash, name: name, label: "sk-or-v1-…", disabled: false, limit: limit, limitRemaining: limit, limitReset: reset,
                      includeByokInLimit: false, usage: .zero, usageDaily: .zero, usageWeekly: .zero, usageMonthly: .zero,
                      createdAt: "2026-11-26T00:00:00Z", updatedAt: nil, expiresAt: nil)
    }

    func setDown(_ operations: Set<String>) { store.withLock { $0.down = operations } }
    var keys: [String: OpenRouterKey] { store.withLock { $0.keys } }
    var calls: [String] { store.withLock { $0.calls } }

    var patches: [OpenRouterKeyPatch] { store.withLock { $0.patches } }

    private func enter(_ operation: String, _ hash: String = "") throws {
        observer?("\(operation) \(hash)".trimmingCharacters(in: .whitespaces))
        try store.withLock { store in
            store.calls.append("\(operation) \(hash)".trimmingCharacters(in: .whitespaces))
            if store.down.contains(operation) { throw OpenRouterAPIError.http(status: 503, message: "management API down (test)") }
        }
    }

    func key(hash: String) async throws -> OpenRouterKey {
        try enter("get", hash)
        guard let key = keys[hash] else { throw OpenRouterAPIError.http(status: 404, message: "Key not found") }
        return key
    }

    func createKey(_ request: NewOpenRouterKey) async throws -> CreatedOpenRouterKey {
        try enter("create")
        let secret = store.withLock { store -> String in store.counter += 1; return "sk-or-v1-new-\(store.counter)" }
        let hash = add(secret: secret, name: request.name, limit: request.limit, reset: request.limitReset)
        return CreatedOpenRouterKey(key: keys[hash]!, secret: Secret(secret))
    }

    func updateKey(hash: String, _ patch: OpenRouterKeyPatch) async throws -> OpenRouterKey {
        try enter("patch", hash)
        return try store.withLock { store in
            guard var key = store.keys[hash] else { throw OpenRouterAPIError.http(status: 404, message: "Key not found") }
            store.patches.append(patch)
            if let disabled = patch.disabled { key.disabled = disabled }
            if let limit = patch.limit { key.limit = limit; key.limitRemaining = limit }
            if let limitReset = patch.limitReset { key.limitReset = limitReset }
            store.keys[hash] = key
            return key
        }
    }

    func allKeys(includeDisabled: Bool) async throws -> [OpenRouterKey] {
        try enter("list")
        return keys.values.filter { includeDisabled || !$0.disabled }.sorted { $0.hash < $1.hash }
    }

    /// Changes a stored key as someone in OpenRouter's dashboard would.
    func edit(_ hash: String, _ change: (inout OpenRouterKey) -> Void) {
        store.withLock { store in if var key = store.keys[hash] { change(&key); store.keys[hash] = key } }
    }

    func deleteKey(hash: String) async throws {
        try enter("delete", hash)
        try store.withLock { store in
            guard store.keys.removeValue(forKey: hash) != nil else { throw OpenRouterAPIError.http(status: 404, message: "Key not found") }
        }
    }
}

/// An agent that validates a key against the fake OpenRouter (enabled and known), with old-key
/// provisional counts a test sets.
final class FakeAgent: AgentKeyControl {
    struct State {
        var current: String
        var old: [String: Int] = [:]
        var refuse = false
        var down = false
        var confirmations = 0
        var drainOnConfirm = true
    }
    let state: Mutex<State>
    let openRouter: FakeKeyManagement

    init(current: String, openRouter: FakeKeyManagement) {
        state = Mutex(State(current: current))
        self.openRouter = openRouter
    }

    var current: String { state.withLock { $0.current } }

    func openRouterKey() async throws -> OpenRouterKeyState {
        try state.withLock { state in
            if state.down { throw AdminAPIError.http(host: "test", status: 502, detail: "down") }
            return OpenRouterKeyState(currentHash: state.current, currentHint: "sk-or-…", provisional: 0,
                                      oldKeys: state.old.map { .init(hash: $0.key, provisional: $0.value, inFlight: 0) }.sorted { $0.hash < $1.hash },
                                      keySetAt: Date(timeIntervalSince1970: 1_700_000_000), inFlight: 0)
        }
    }

    func switchOpenRouterKey(to secret: Secret) async throws -> OpenRouterKeyState {
        let hash = FakeKeyManagement.hash(secret.value)
        let valid = openRouter.keys[hash].map { !$0.disabled } ?? false
        try state.withLock { state in
            if state.refuse || !valid { throw AdminAPIError.http(host: "test", status: 400, detail: "OpenRouter refused the connection (401)") }
            state.old[state.current] = state.old[state.current] ?? 0
            state.current = hash
        }
        return try await openRouterKey()
    }

    func confirmUsageNow(forcing keyHash: String?) async throws {
        state.withLock { state in
            state.confirmations += 1
            if state.drainOnConfirm { for hash in state.old.keys { state.old[hash] = 0 } }
        }
    }
}

/// A settable wall clock.
final class TestClock: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    func withLock<R>(_ body: (inout Date) -> R) -> R { value.withLock { body(&$0) } }
}

@Suite("Key rotation: journal and resume")
struct KeyRotationTests {
    let store: KeyRotationStore
    let openRouter = FakeKeyManagement()
    let agent: FakeAgent
    let oldHash: String
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))  // 2026-11-18

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maictl-keys-\(UUID().uuidString)")
        let state = StateDirectory(url: directory)
        try state.prepare()
        store = KeyRotationStore(state: state)
        oldHash = openRouter.add(secret: "sk-or-v1-old", name: "acme original", limit: Money(decimal: "40"), reset: "monthly")
        agent = FakeAgent(current: oldHash, openRouter: openRouter)
    }

    func rotation(grace: Duration = .zero, drainTimeout: Duration = .seconds(5)) -> KeyRotation {
        let clock = self.clock
        return KeyRotation(client: "acme", management: openRouter, agent: agent, store: store,
                           options: .init(drainTimeout: drainTimeout, grace: grace, pollInterval: .milliseconds(1)),
                           now: { clock.withLock { $0 } }, sleep: { try await Task.sleep(for: $0) })
    }

    /// Works: the agent's key is enabled at OpenRouter.
    func agentKeyWorks() -> Bool { openRouter.keys[agent.current].map { !$0.disabled } ?? false }

    @Test("a rotation creates a key with the same limit and reset, switches, drains, disables and deletes the old key")
    func completes() async throws {
        agent.state.withLock { $0.old["previous"] = 0 }
        let result = try await rotation().run()
        #expect(result.step == .finished)
        let newHash = try #require(result.newHash)
        #expect(agent.current == newHash)
        let new = try #require(openRouter.keys[newHash])
        #expect(new.name == "mai-acme-2026-11-18")
        #expect(new.limit == Money(decimal: "40") && new.limitReset == "monthly")
        #expect(openRouter.keys[oldHash] == nil, "old key deleted")
        #expect(openRouter.calls.filter { $0.hasSuffix(oldHash) } == ["get \(oldHash)", "patch \(oldHash)", "delete \(oldHash)"])
        let journal = try #require(try store.journal("acme"))
        #expect(journal.step == .finished && journal.oldHash == oldHash && journal.newHash == newHash)
        let history = try store.history("acme")
        #expect(history.entries.map(\.hash) == [oldHash, newHash])
        #expect(history.entries[0].retiredAt != nil && history.entries[0].deletedAt != nil)
        // The journal holds hashes, never a secret.
        let raw = try String(contentsOf: store.state.url.appendingPathComponent("instances/acme/key-rotation"), encoding: .utf8)
        #expect(!raw.contains("sk-or-v1"))
        // A second run starts a fresh rotation of the new key.
        let again = try await rotation().run()
        #expect(again.oldHash == newHash && again.step == .finished)
    }

    @Test("management API down at create: stopped before anything changed; a re-run completes")
    func managementDownAtCreate() async throws {
        openRouter.setDown(["create"])
        await #expect { try await rotation().run() } throws: { error in
            let stopped = try #require(error as? KeyRotationStopped)
            return stopped.step == .started && !stopped.changed && stopped.description.contains("maictl keys rotate acme")
        }
        #expect(agent.current == oldHash && agentKeyWorks())
        #expect(try store.journal("acme")?.lastError?.contains("creating the new key") == true)
        openRouter.setDown([])
        #expect(try await rotation().run().step == .finished)
        #expect(openRouter.keys.count == 1 && agentKeyWorks())
    }

    @Test("the agent refuses the new key: the client stays on the old key, the unused key is deleted, a re-run completes")
    func agentRefuses() async throws {
        agent.state.withLock { $0.refuse = true }
        await #expect { try await rotation().run() } throws: { error in
            (error as? KeyRotationStopped)?.step == .created && (error as? KeyRotationStopped)?.changed == false
        }
        #expect(agent.current == oldHash && agentKeyWorks())
        #expect(openRouter.keys.keys.sorted() == [oldHash], "no orphan key left at OpenRouter")
        agent.state.withLock { $0.refuse = false }
        let result = try await rotation().run()
        #expect(result.step == .finished && agent.current == result.newHash && openRouter.keys.count == 1)
    }

    @Test("drain timeout: the client is on the new key, the old key stays enabled; a re-run after the drain completes")
    func drainTimeout() async throws {
        agent.state.withLock { $0.drainOnConfirm = false }
        // The old key has rows to confirm that never get confirmed in time.
        let rotation = rotation(drainTimeout: .milliseconds(50))
        agent.state.withLock { $0.old[oldHash] = 3 }
        await #expect { try await rotation.run() } throws: { error in
            let stopped = error as? KeyRotationStopped
            return stopped?.step == .switched && stopped?.changed == true && stopped?.reason.contains("3 provisional") == true
        }
        #expect(agent.current != oldHash && agentKeyWorks())
        #expect(openRouter.keys[oldHash]?.disabled == false, "never disabled while rows are provisional")
        #expect(agent.state.withLock { $0.confirmations } > 0, "the agent was asked to confirm")
        #expect(try store.journal("acme")?.step == .switched)
        agent.state.withLock { $0.old[oldHash] = 0 }
        let result = try await self.rotation().run()
        #expect(result.step == .finished && openRouter.keys[oldHash] == nil)
    }

    @Test("management API down at disable and at delete: each stops on a working key and resumes")
    func managementDownLate() async throws {
        openRouter.setDown(["patch"])
        await #expect { try await rotation().run() } throws: { error in (error as? KeyRotationStopped)?.step == .drained }
        #expect(agentKeyWorks() && openRouter.keys[oldHash]?.disabled == false)
        openRouter.setDown(["delete"])
        await #expect { try await rotation().run() } throws: { error in (error as? KeyRotationStopped)?.step == .disabled }
        #expect(agentKeyWorks() && openRouter.keys[oldHash]?.disabled == true)
        openRouter.setDown([])
        #expect(try await rotation().run().step == .finished)
        #expect(openRouter.keys[oldHash] == nil)
    }

    @Test("a run that died between creating the key and the agent's switch deletes that orphan and creates another")
    func resumeAfterCreateCrash() async throws {
        let orphan = openRouter.add(secret: "sk-or-v1-orphan", name: "mai-acme-2026-11-18", limit: nil, reset: nil)
        var journal = KeyRotationJournal(client: "acme", oldHash: oldHash, limit: Money(decimal: "40"), limitReset: "monthly", now: clock.withLock { $0 })
        journal.step = .created
        journal.newHash = orphan
        try store.save(journal)
        let result = try await rotation().run()
        #expect(result.step == .finished && result.newHash != orphan)
        #expect(openRouter.keys[orphan] == nil && openRouter.keys.count == 1 && agent.current == result.newHash)
    }

    @Test("a run that died after the agent switched resumes at the drain without a second key")
    func resumeAfterSwitch() async throws {
        let created = try await openRouter.createKey(NewOpenRouterKey(name: "mai-acme-2026-11-18"))
        _ = try await agent.switchOpenRouterKey(to: created.secret)
        var journal = KeyRotationJournal(client: "acme", oldHash: oldHash, limit: nil, limitReset: nil, now: clock.withLock { $0 })
        journal.step = .created
        journal.newHash = created.key.hash
        try store.save(journal)
        let result = try await rotation().run()
        #expect(result.step == .finished && result.newHash == created.key.hash && openRouter.keys.count == 1)
    }

    @Test("with a grace period the old key waits disabled; keys status deletes it once the period is over")
    func gracePeriod() async throws {
        let result = try await rotation(grace: .seconds(3600)).run()
        #expect(result.step == .disabled && result.deleteAfter != nil)
        #expect(openRouter.keys[oldHash]?.disabled == true)
        #expect(try await rotation(grace: .seconds(3600)).finishPendingDelete() == nil)
        clock.withLock { $0 = $0.addingTimeInterval(3601) }
        #expect(try await rotation(grace: .seconds(3600)).finishPendingDelete()?.step == .finished)
        #expect(openRouter.keys[oldHash] == nil)
    }

    @Test("the agent unreachable at the start: nothing is created")
    func agentDown() async throws {
        agent.state.withLock { $0.down = true }
        await #expect(throws: KeyRotationStopped.self) { try await rotation().run() }
        #expect(openRouter.calls.isEmpty && openRouter.keys.count == 1)
    }

    @Test("key names carry the client and the UTC day; durations parse")
    func names() {
        #expect(KeyRotation.keyName(client: "globex", at: Date(timeIntervalSince1970: 1_795_000_000)) == "mai-globex-2026-11-18")
    }
}
