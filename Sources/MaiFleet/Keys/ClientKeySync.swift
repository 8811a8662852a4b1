import Foundation
import MaiCore

/// `maictl keys sync`: makes the limit and reset of the key a client's agent uses equal its client
/// file's `openrouter_key_limit` and `openrouter_limit_reset` (no limit in the file: no limit at
/// OpenRouter). Only the client's own key (`mai-<client>-<day>`) is changed: a key others may
/// share is never touched. Each change is recorded in the local audit log.
public struct ClientKeySync: Sendable {
    /// A key's limit and reset, as OpenRouter keeps them. Exact money, never floating point.
    public struct Limits: Sendable, Equatable, Codable, CustomStringConvertible {
        public var limit: Money?
        /// `daily`, `weekly`, `monthly`; `nil` never resets.
        public var limitReset: String?

        public init(limit: Money?, limitReset: String?) {
            self.limit = limit
            self.limitReset = limitReset
        }

        /// `$50.00/monthly`, `$50.00 (no reset)`, `no limit`.
        public var description: String {
            guard let limit else { return limitReset.map { "no limit (reset \($0))" } ?? "no limit" }
            return "$" + limit.humanAmount + (limitReset.map { "/\($0)" } ?? " (no reset)")
        }
    }

    public enum Result: Sendable, Equatable {
        /// The key had other limits; it has the file's now.
        case changed(hash: String, name: String, before: Limits, after: Limits)
        /// The key already has the file's limits.
        case inSync(hash: String, name: String, limits: Limits)
        /// `--dry-run`: what would change; nothing was sent.
        case wouldChange(hash: String, name: String, before: Limits, after: Limits)

        public var hash: String {
            switch self {
            case .changed(let hash, _, _, _), .inSync(let hash, _, _), .wouldChange(let hash, _, _, _): hash
            }
        }
    }

    /// Why a client was not synced; `description` says what to do. `hash` is the agent's key when known.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var client: String
        public var hash: String?
        public var before: Limits?
        public var reason: String
        public var description: String { "\(client): \(reason)" }
    }

    public var client: String
    /// What the client file asks for.
    public var wanted: Limits
    public var management: any OpenRouterKeyManaging
    public var agent: any AgentKeyControl
    public var dryRun: Bool
    /// Appends to the local audit log (`LocalAuditLog`); every PATCH sent is recorded, failed or not.
    public var audit: @Sendable (AuditEntry) -> Void
    /// Who runs maictl (`user@host`), for the audit log.
    public var actor: String
    public var now: @Sendable () -> Date

    public init(client: String, wanted: Limits, management: any OpenRouterKeyManaging, agent: any AgentKeyControl, dryRun: Bool = false,
                audit: @escaping @Sendable (AuditEntry) -> Void = { _ in }, actor: String = "maictl",
                now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.wanted = wanted
        self.management = management
        self.agent = agent
        self.dryRun = dryRun
        self.audit = audit
        self.actor = actor
        self.now = now
    }

    public func run() async throws -> Result {
        let state: OpenRouterKeyState
        do {
            state = try await agent.openRouterKey()
        } catch {
            throw Failure(client: client, reason: "cannot ask the agent which key it uses (\(error)); nothing was changed. "
                          + "Check it with maictl health --only \(client) and run again (not deployed yet: maictl deploy --only \(client))")
        }
        guard let hash = state.currentHash else {
            throw Failure(client: client, reason: "the agent has no OpenRouter key; give it its own: maictl keys create \(client)")
        }
        let key: OpenRouterKey
        do {
            key = try await management.key(hash: hash)
        } catch let error as OpenRouterAPIError where error.status == 404 {
            throw Failure(client: client, hash: hash, reason: "OpenRouter does not know the agent's key \(hash.prefix(12)) (made with another "
                          + "account, or deleted): nothing was changed. Give the client its own key: maictl keys create \(client)")
        } catch {
            throw Failure(client: client, hash: hash, reason: "OpenRouter did not describe key \(hash.prefix(12)) (\(error)); nothing was changed, run again")
        }
        let before = Limits(limit: key.limit, limitReset: key.limitReset)
        guard ClientKeyName.isOwn(key.name, client: client) else {
            throw Failure(client: client, hash: hash, before: before, reason: "the agent's key \(hash.prefix(12)) is named '\(TerminalSafe.cell(key.name))', "
                          + "not \(ClientKeyName.pattern(client: client)): it is not \(client)'s own key (perhaps a shared OPENROUTER_API_KEY), "
                          + "so its limit is left alone. Give \(client) its own key first: maictl keys create \(client)")
        }
        if before == wanted { return .inSync(hash: hash, name: key.name, limits: before) }
        if dryRun { return .wouldChange(hash: hash, name: key.name, before: before, after: wanted) }

        let detail = "key \(hash.prefix(12)) (\(key.name)) limit \(before) → \(wanted)"
        let updated: OpenRouterKey
        do {
            updated = try await management.updateKey(hash: hash, OpenRouterKeyPatch(limit: .some(wanted.limit), limitReset: .some(wanted.limitReset)))
        } catch {
            record(outcome: "failed", detail + ": \(error)")
            throw Failure(client: client, hash: hash, before: before, reason: "OpenRouter did not change key \(hash.prefix(12)) (\(error)); "
                          + "it keeps \(before). Run maictl keys sync \(client) again")
        }
        let after = Limits(limit: updated.limit, limitReset: updated.limitReset)
        guard after == wanted else {
            record(outcome: "failed", detail + ": OpenRouter answered \(after)")
            throw Failure(client: client, hash: hash, before: before, reason: "OpenRouter accepted the change of key \(hash.prefix(12)) but reports "
                          + "\(after) instead of \(wanted); check the key in OpenRouter's dashboard and run maictl keys sync \(client) again")
        }
        record(outcome: "ok", detail)
        return .changed(hash: hash, name: key.name, before: before, after: after)
    }

    func record(outcome: String, _ detail: String) {
        audit(AuditEntry(time: AuditEntry.timestamp(now()), actor: actor, instance: client, action: "key-sync", version: nil,
                         outcome: outcome, detail: detail))
    }
}
