import Foundation
import MaiCore

/// One client's key rotation as an ordered transaction: create the new key (same limit and reset)
/// → the agent validates and switches to it → wait until the old key has nothing provisional or
/// streaming → disable the old key → delete it after the grace period.
///
/// The journal is written after every step, so any failure stops with the client on a working key
/// (the old one until the agent has switched, the new one after) and a re-run resumes. The new
/// key's secret exists only in memory between `POST /keys` and the agent's `PUT`: a run that stops
/// in between deletes that orphan on resume and creates another.
public struct KeyRotation: Sendable {
    public struct Options: Sendable {
        /// How long to wait for the old key to drain before stopping (the rotation then resumes).
        public var drainTimeout: Duration
        /// How long the old key stays disabled before it is deleted (0: at once).
        public var grace: Duration
        /// Pause between two looks at the agent while draining.
        public var pollInterval: Duration
        /// Used when OpenRouter does not know the old key (e.g. made by hand elsewhere): the fleet file's limit.
        public var fallbackLimit: Money?
        public var fallbackLimitReset: String?

        public init(drainTimeout: Duration = .seconds(600), grace: Duration = .seconds(86_400), pollInterval: Duration = .seconds(1),
                    fallbackLimit: Money? = nil, fallbackLimitReset: String? = nil) {
            self.drainTimeout = drainTimeout
            self.grace = grace
            self.pollInterval = pollInterval
            self.fallbackLimit = fallbackLimit
            self.fallbackLimitReset = fallbackLimitReset
        }
    }

    /// How a run ended without error.
    public struct Result: Sendable, Equatable {
        public var client: String
        public var oldHash: String
        public var newHash: String?
        public var step: KeyRotationJournal.Step
        /// Set when the old key waits (disabled) for its grace period to end.
        public var deleteAfter: Date?
    }

    public let client: String
    public let management: any OpenRouterKeyManaging
    public let agent: any AgentKeyControl
    public let store: KeyRotationStore
    public let options: Options
    let now: @Sendable () -> Date
    let sleep: @Sendable (Duration) async throws -> Void

    public init(client: String, management: any OpenRouterKeyManaging, agent: any AgentKeyControl, store: KeyRotationStore,
                options: Options = Options(), now: @escaping @Sendable () -> Date = { Date() },
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.client = client
        self.management = management
        self.agent = agent
        self.store = store
        self.options = options
        self.now = now
        self.sleep = sleep
    }

    /// The name of a new key: identifies the client and the day (`mai-acme-2026-11-26`).
    public static func keyName(client: String, at date: Date) -> String {
        "mai-\(client)-\(KeyRotation.day(date))"
    }

    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: date)
    }

    /// Starts a rotation, or resumes the open one. Throws `KeyRotationStopped` naming the step.
    public func run() async throws -> Result {
        var journal = try await openJournal()
        while true {
            switch journal.step {
            case .started: try await createAndSwitch(&journal)
            case .created: try await recoverCreated(&journal)
            case .switched: try await drain(&journal)
            case .drained: try await disableOld(&journal)
            case .disabled:
                if let after = journal.deleteAfter, now() < after {
                    return Result(client: client, oldHash: journal.oldHash, newHash: journal.newHash, step: .disabled, deleteAfter: after)
                }
                try await deleteOld(&journal)
            case .finished:
                return Result(client: client, oldHash: journal.oldHash, newHash: journal.newHash, step: .finished, deleteAfter: nil)
            }
        }
    }

    /// Finishes a rotation whose old key only waits for deletion, if its grace period is over; does
    /// nothing otherwise (what `keys status` calls).
    public func finishPendingDelete() async throws -> Result? {
        guard var journal = try store.journal(client), journal.step == .disabled, let after = journal.deleteAfter, now() >= after else {
            return nil
        }
        try await deleteOld(&journal)
        return Result(client: client, oldHash: journal.oldHash, newHash: journal.newHash, step: .finished, deleteAfter: nil)
    }

    // MARK: Steps

    /// The open journal, or a new one from the agent's current key and that key's limit at OpenRouter.
    func openJournal() async throws -> KeyRotationJournal {
        if let journal = try store.journal(client), journal.isOpen { return journal }
        let state = try await step(.started, "reading the agent's current key") { try await agent.openRouterKey() }
        guard let current = state.currentHash else {
            throw KeyRotationStopped(client: client, step: .started, reason: "the agent has no OpenRouter key to rotate (set one with PUT /admin/v1/openrouter-key)", changed: false)
        }
        let old: OpenRouterKey? = try await step(.started, "reading the current key at OpenRouter") {
            do {
                return try await management.key(hash: current)
            } catch let error as OpenRouterAPIError where error.status == 404 {
                return nil
            }
        }
        let journal = KeyRotationJournal(client: client, oldHash: current, limit: old.map(\.limit) ?? options.fallbackLimit,
                                         limitReset: old.map(\.limitReset) ?? options.fallbackLimitReset, now: now())
        var history = try store.history(client)
        history.update(current) { entry in
            entry.name = entry.name ?? old?.name
            entry.activeFrom = entry.activeFrom ?? state.keySetAt
        }
        try store.save(history, client: client)
        try store.save(journal)
        return journal
    }

    func createAndSwitch(_ journal: inout KeyRotationJournal) async throws {
        // A key created by an earlier run that never reached the agent: its secret is gone, so delete it.
        if let orphan = journal.newHash {
            let state = try await step(.started, "reading the agent's current key", &journal) { try await agent.openRouterKey() }
            if state.currentHash == orphan {
                try markSwitched(&journal)
                return
            }
            try await step(.started, "deleting the unused key \(orphan.prefix(12)) from the earlier attempt", &journal) {
                try await deleteIgnoringMissing(orphan)
            }
            journal.newHash = nil
            journal.newName = nil
            try save(&journal)
        }
        let name = Self.keyName(client: client, at: now())
        let request = NewOpenRouterKey(name: name, limit: journal.limit, limitReset: journal.limitReset)
        let created = try await step(.started, "creating the new key at OpenRouter", &journal) {
            try await management.createKey(request)
        }
        journal.newHash = created.key.hash
        journal.newName = name
        journal.step = .created
        try save(&journal)
        do {
            let state = try await agent.switchOpenRouterKey(to: created.secret)
            guard state.currentHash == created.key.hash else {
                throw KeyRotationStopped(client: client, step: .created, reason: "the agent answered the switch but still reports key \(state.currentHash?.prefix(12) ?? "none")", changed: true)
            }
        } catch {
            // The agent may have switched before the answer was lost: ask before undoing anything.
            if let state = try? await agent.openRouterKey(), state.currentHash == created.key.hash {
                try markSwitched(&journal)
                return
            }
            let reason = "the agent did not take the new key: \(error)"
            // Still on the old key: remove the new one so nothing unused stays at OpenRouter.
            if (try? await deleteIgnoringMissing(created.key.hash)) != nil {
                journal.newHash = nil
                journal.newName = nil
            }
            journal.step = .started
            journal.lastError = reason
            try save(&journal)
            throw KeyRotationStopped(client: client, step: .created, reason: reason + "; the client still uses its old key", changed: false)
        }
        try markSwitched(&journal)
    }

    /// Resumed after a stop between `POST /keys` and the agent's answer.
    func recoverCreated(_ journal: inout KeyRotationJournal) async throws {
        let state = try await step(.created, "reading the agent's current key", &journal) { try await agent.openRouterKey() }
        if let newHash = journal.newHash, state.currentHash == newHash {
            try markSwitched(&journal)
        } else {
            journal.step = .started  // keeps newHash: createAndSwitch deletes that orphan first
            try save(&journal)
        }
    }

    func markSwitched(_ journal: inout KeyRotationJournal) throws {
        let at = now()
        var history = try store.history(client)
        history.update(journal.oldHash) { $0.retiredAt = $0.retiredAt ?? at }
        if let newHash = journal.newHash {
            let name = journal.newName
            history.update(newHash) { entry in
                entry.activeFrom = entry.activeFrom ?? at
                entry.name = entry.name ?? name
            }
        }
        try store.save(history, client: client)
        journal.step = .switched
        journal.lastError = nil
        try save(&journal)
    }

    func drain(_ journal: inout KeyRotationJournal) async throws {
        let deadline = ContinuousClock.now + options.drainTimeout
        while true {
            let state = try await step(.switched, "reading the agent's key state while draining", &journal) { try await agent.openRouterKey() }
            guard state.currentHash == journal.newHash else {
                throw fail(&journal, .switched, "the agent no longer uses the new key (it reports \(state.currentHash?.prefix(12) ?? "none")); "
                           + "someone changed it: check with maictl keys status before resuming", changed: true)
            }
            if state.isDrained(oldHash: journal.oldHash) { break }
            if ContinuousClock.now >= deadline {
                let old = state.oldKeys.first { $0.hash == journal.oldHash }
                throw fail(&journal, .switched, "the old key still has \(old?.provisional ?? 0) provisional generation(s) and \(old?.inFlight ?? 0) "
                           + "completion(s) streaming after the drain timeout; the client already uses the new key", changed: true)
            }
            if (state.oldKeys.first { $0.hash == journal.oldHash }?.provisional ?? 0) > 0 { try? await agent.confirmUsageNow(forcing: journal.oldHash) }
            try await sleep(options.pollInterval)
        }
        journal.step = .drained
        journal.lastError = nil
        try save(&journal)
    }

    func disableOld(_ journal: inout KeyRotationJournal) async throws {
        let oldHash = journal.oldHash
        try await step(.drained, "disabling the old key at OpenRouter", &journal) {
            do {
                _ = try await management.updateKey(hash: oldHash, OpenRouterKeyPatch(disabled: true))
            } catch let error as OpenRouterAPIError where error.status == 404 {
                // Already gone.
            }
        }
        let at = now()
        var history = try store.history(client)
        history.update(oldHash) { $0.disabledAt = $0.disabledAt ?? at }
        try store.save(history, client: client)
        journal.step = .disabled
        journal.deleteAfter = now().addingTimeInterval(Self.seconds(options.grace))
        journal.lastError = nil
        try save(&journal)
    }

    func deleteOld(_ journal: inout KeyRotationJournal) async throws {
        let oldHash = journal.oldHash
        try await step(.disabled, "deleting the old key at OpenRouter", &journal) { try await deleteIgnoringMissing(oldHash) }
        let at = now()
        var history = try store.history(client)
        history.update(oldHash) { $0.deletedAt = $0.deletedAt ?? at }
        try store.save(history, client: client)
        journal.step = .finished
        journal.lastError = nil
        try save(&journal)
    }

    // MARK: Helpers

    func deleteIgnoringMissing(_ hash: String) async throws {
        do {
            try await management.deleteKey(hash: hash)
        } catch let error as OpenRouterAPIError where error.status == 404 {
            // Already gone: that is what was wanted.
        }
    }

    func save(_ journal: inout KeyRotationJournal) throws {
        journal.updatedAt = now()
        try store.save(journal)
    }

    func fail(_ journal: inout KeyRotationJournal, _ step: KeyRotationJournal.Step, _ reason: String, changed: Bool) -> KeyRotationStopped {
        journal.lastError = reason
        try? save(&journal)
        return KeyRotationStopped(client: client, step: step, reason: reason, changed: changed)
    }

    /// Runs one remote call of `step`; a failure is recorded in the journal and stops the rotation.
    func step<Value: Sendable>(_ step: KeyRotationJournal.Step, _ action: String, _ journal: inout KeyRotationJournal,
                               _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let stopped as KeyRotationStopped {
            throw stopped
        } catch {
            throw fail(&journal, step, "\(action) failed: \(error)", changed: [.switched, .drained, .disabled, .finished].contains(step))
        }
    }

    /// The same without a journal yet.
    func step<Value: Sendable>(_ step: KeyRotationJournal.Step, _ action: String, _ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch {
            throw KeyRotationStopped(client: client, step: step, reason: "\(action) failed: \(error)", changed: false)
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}

/// A rotation stopped before it finished. The client keeps a working key; re-running
/// `maictl keys rotate <client>` resumes from `step`.
public struct KeyRotationStopped: Error, Sendable, Equatable, CustomStringConvertible {
    public var client: String
    public var step: KeyRotationJournal.Step
    public var reason: String
    /// Whether the agent already uses the new key.
    public var changed: Bool

    public var description: String {
        let where_ = switch step {
        case .started: "before the agent had a new key"
        case .created: "while handing the new key to the agent"
        case .switched: "after the switch, while waiting for the old key to drain"
        case .drained: "while disabling the old key"
        case .disabled: "while deleting the old key"
        case .finished: "after finishing"
        }
        return "\(client): key rotation stopped \(where_): \(reason). The client is on its \(changed ? "new" : "old") key, which works. "
            + "Resume with: maictl keys rotate \(client)"
    }
}
