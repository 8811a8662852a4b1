import Foundation
import MaiCore

/// Disables a client's OpenRouter keys when it leaves (`maictl deprovision`, and `maictl keys
/// disable` to finish or retry): the key its agent used, every key of its history not yet deleted
/// (rotated keys in their grace period), and any other enabled key OpenRouter lists under the
/// client's name. Only the client's own keys (`mai-<client>-<day>`) are disabled — a key others
/// may share is reported and left alone. Each key is recorded in the key history and each change
/// in the local audit log. Keys are disabled, not deleted: `usage reconcile` can still read their
/// activity, and a mistake can be undone in OpenRouter's dashboard.
public struct ClientKeyDisabling: Sendable {
    /// What happened to one key.
    public struct KeyOutcome: Sendable, Equatable, Encodable {
        public enum Result: String, Sendable, Equatable, Encodable {
            case disabled
            case alreadyDisabled = "already disabled"
            case alreadyDeleted = "already deleted"
            /// Not named as the client's own: left enabled.
            case notOwn = "not its own, left enabled"
            /// Still enabled: `detail` says why.
            case failed
        }

        public var hash: String
        public var name: String?
        public var result: Result
        public var detail: String?

        public init(hash: String, name: String?, result: Result, detail: String? = nil) {
            self.hash = hash
            self.name = name
            self.result = result
            self.detail = detail
        }
    }

    /// Every key looked at, and what the operator must still do.
    public struct Report: Sendable, Equatable, Encodable {
        public var client: String
        public var keys: [KeyOutcome]
        /// Set when maictl could not tell which keys the client has (nothing known, OpenRouter's list unanswered).
        public var unknown: String?
        /// Things worth knowing that are not failures.
        public var notes: [String]

        /// Keys still enabled because disabling them failed.
        public var stillEnabled: [KeyOutcome] { keys.filter { $0.result == .failed } }
        /// Whether every key of the client is disabled or gone.
        public var finished: Bool { stillEnabled.isEmpty && unknown == nil }

        /// One line for a result table: `disabled 2 key(s)`, `no key to disable`, `1 key STILL ENABLED`.
        public var summary: String {
            if unknown != nil { return "keys unknown (see below)" }
            if !stillEnabled.isEmpty { return "\(stillEnabled.count) key(s) STILL ENABLED" }
            let disabled = keys.filter { $0.result == .disabled }.count
            let gone = keys.filter { $0.result == .alreadyDisabled || $0.result == .alreadyDeleted }.count
            let shared = keys.filter { $0.result == .notOwn }.count
            var parts: [String] = []
            if disabled > 0 { parts.append("disabled \(disabled) key(s)") }
            if gone > 0 { parts.append("\(gone) already disabled or deleted") }
            if shared > 0 { parts.append("\(shared) not its own, left enabled") }
            return parts.isEmpty ? "no key to disable" : parts.joined(separator: "; ")
        }

        /// What the operator must do, one message per problem (empty when finished). Names each
        /// key still enabled by its full hash and the command that finishes the job.
        public var problems: [String] {
            var lines = stillEnabled.map { key in
                "\(client): key \(key.hash)\(key.name.map { " (\($0))" } ?? "") is still enabled at OpenRouter: \(key.detail ?? "unknown error"). "
                    + "Finish with: maictl keys disable \(client)"
            }
            if let unknown { lines.append("\(client): \(unknown)") }
            return lines
        }
    }

    public var client: String
    public var management: any OpenRouterKeyManaging
    public var store: KeyRotationStore
    /// Appends to the local audit log (`LocalAuditLog`).
    public var audit: @Sendable (AuditEntry) -> Void
    public var actor: String
    public var now: @Sendable () -> Date

    public init(client: String, management: any OpenRouterKeyManaging, store: KeyRotationStore,
                audit: @escaping @Sendable (AuditEntry) -> Void = { _ in }, actor: String = "maictl", now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.management = management
        self.store = store
        self.audit = audit
        self.actor = actor
        self.now = now
    }

    /// Notes the key the agent uses in the client's history while the agent can still be asked,
    /// so `keys disable` knows it once the server is gone.
    public func remember(_ state: OpenRouterKeyState) throws {
        guard let hash = state.currentHash else { return }
        var history = try store.history(client)
        history.update(hash) { $0.activeFrom = $0.activeFrom ?? state.keySetAt }
        try store.save(history, client: client)
    }

    /// Disables every own key of the client that is not yet disabled. `agentKeyHash`: the key the
    /// agent used, when it could be asked. Never throws: every failure is in the report.
    public func run(agentKeyHash: String? = nil) async -> Report {
        var report = Report(client: client, keys: [], unknown: nil, notes: [])
        var history: KeyHistory
        do {
            history = try store.history(client)
        } catch {
            report.notes.append("the key history could not be read (\(error)); only the agent's key and OpenRouter's list were used")
            history = KeyHistory()
        }
        var candidates: [String] = []
        func add(_ hash: String) { if !candidates.contains(hash) { candidates.append(hash) } }
        if let agentKeyHash { add(agentKeyHash) }
        for entry in history.undeleted { add(entry.hash) }
        var listed = true
        do {
            let named = try await management.allKeys(includeDisabled: false).filter { ClientKeyName.isOwn($0.name, client: client) }
            for key in named.sorted(by: { $0.name < $1.name }) { add(key.hash) }
        } catch {
            listed = false
            report.notes.append("OpenRouter's key list did not answer (\(error)); only the keys maictl knows of were looked at")
        }
        if candidates.isEmpty {
            if !listed {
                report.unknown = "no key of \(client) is known to maictl (not in its key history, and OpenRouter's key list did not answer), "
                    + "so none could be disabled. Run maictl keys disable \(client) again, or disable the keys named "
                    + "\(ClientKeyName.pattern(client: client)) in OpenRouter's dashboard"
            }
            return report
        }
        for hash in candidates {
            let outcome = await disable(hash)
            report.keys.append(outcome)
            record(outcome, in: &history)
        }
        do {
            try store.save(history, client: client)
        } catch {
            report.notes.append("the key history could not be written (\(error))")
        }
        return report
    }

    func disable(_ hash: String) async -> KeyOutcome {
        let key: OpenRouterKey
        do {
            key = try await management.key(hash: hash)
        } catch let error as OpenRouterAPIError where error.status == 404 {
            return KeyOutcome(hash: hash, name: nil, result: .alreadyDeleted)
        } catch {
            return KeyOutcome(hash: hash, name: nil, result: .failed, detail: "OpenRouter did not describe it (\(error))")
        }
        let name = TerminalSafe.cell(key.name)
        guard ClientKeyName.isOwn(key.name, client: client) else {
            return KeyOutcome(hash: hash, name: name, result: .notOwn,
                              detail: "named '\(name)', not \(ClientKeyName.pattern(client: client)): other clients may use it")
        }
        if key.disabled { return KeyOutcome(hash: hash, name: name, result: .alreadyDisabled) }
        let detail = "key \(hash.prefix(12)) (\(name)) disabled"
        do {
            let updated = try await management.updateKey(hash: hash, OpenRouterKeyPatch(disabled: true))
            guard updated.disabled else {
                let reason = "OpenRouter answered the change but still reports the key enabled"
                log("failed", detail + ": " + reason)
                return KeyOutcome(hash: hash, name: name, result: .failed, detail: reason)
            }
        } catch let error as OpenRouterAPIError where error.status == 404 {
            return KeyOutcome(hash: hash, name: name, result: .alreadyDeleted)
        } catch {
            log("failed", detail + ": \(error)")
            return KeyOutcome(hash: hash, name: name, result: .failed, detail: "OpenRouter did not disable it (\(error))")
        }
        log("ok", detail)
        return KeyOutcome(hash: hash, name: name, result: .disabled)
    }

    func record(_ outcome: KeyOutcome, in history: inout KeyHistory) {
        let at = now()
        switch outcome.result {
        case .disabled, .alreadyDisabled:
            history.update(outcome.hash) { entry in
                entry.name = entry.name ?? outcome.name
                entry.disabledAt = entry.disabledAt ?? at
                entry.retiredAt = entry.retiredAt ?? at
            }
        case .alreadyDeleted:
            history.update(outcome.hash) { $0.deletedAt = $0.deletedAt ?? at }
        case .notOwn, .failed:
            // A shared key is not the client's to record; a failed one stays as it was, to be retried.
            if history.entries.contains(where: { $0.hash == outcome.hash }) {
                history.update(outcome.hash) { $0.name = $0.name ?? outcome.name }
            }
        }
    }

    func log(_ outcome: String, _ detail: String) {
        audit(AuditEntry(time: AuditEntry.timestamp(now()), actor: actor, instance: client, action: "key-disable", version: nil,
                         outcome: outcome, detail: detail))
    }
}
