import Foundation
import MaiCore

/// `maictl keys create`: gives a client its own OpenRouter key — named after the client and the
/// day, with the client file's limit and reset — and hands it straight to the client's agent (the
/// agent checks it with OpenRouter and switches; the secret is never stored or printed by maictl).
///
/// A client whose agent already uses a key of its own (named `mai-<slug>-…` at OpenRouter) keeps
/// it. A key it used before — typically a fleet-wide `OPENROUTER_API_KEY` another client shares —
/// is left enabled: the agent keeps it only to confirm what it served.
public struct ClientKeyCreation: Sendable {
    public enum Result: Sendable, Equatable {
        /// A new key was made and the agent switched to it.
        case created(hash: String, name: String)
        /// The agent already uses the client's own key.
        case kept(hash: String, name: String)
    }

    /// Why it stopped; the message says what to do.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var client: String
        public var reason: String
        public var description: String { "\(client): \(reason)" }
    }

    public var client: String
    public var limit: Money?
    public var limitReset: String?
    public var management: any OpenRouterKeyManaging
    public var agent: any AgentKeyControl
    public var now: @Sendable () -> Date
    /// Where the key is recorded in the client's key history (what `deprovision` and `keys disable`
    /// read once the agent is gone); `nil` records nothing.
    public var store: KeyRotationStore?

    public init(client: String, limit: Money?, limitReset: String?, management: any OpenRouterKeyManaging, agent: any AgentKeyControl,
                store: KeyRotationStore? = nil, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.limit = limit
        self.limitReset = limitReset
        self.management = management
        self.agent = agent
        self.store = store
        self.now = now
    }

    /// Notes the client's own key in its history (hashes and names only). A failure to write is
    /// not the key's failure: the agent already uses it, and `deprovision` asks the agent too.
    func remember(hash: String, name: String, since: Date?) {
        guard let store, var history = try? store.history(client) else { return }
        history.update(hash) { entry in
            entry.name = entry.name ?? name
            entry.activeFrom = entry.activeFrom ?? since
        }
        try? store.save(history, client: client)
    }

    /// Keys of this client are named `mai-<slug>-<day>` (`KeyRotation.keyName`).
    func isOwn(_ name: String) -> Bool { ClientKeyName.isOwn(name, client: client) }

    public func run() async throws -> Result {
        let state: OpenRouterKeyState
        do {
            state = try await agent.openRouterKey()
        } catch {
            throw Failure(client: client, reason: "cannot ask the agent for its key (\(error)); deploy it first (maictl deploy --only \(client))")
        }
        if let current = state.currentHash, let key = try? await management.key(hash: current), isOwn(key.name), !key.disabled {
            remember(hash: current, name: key.name, since: state.keySetAt)
            return .kept(hash: current, name: key.name)
        }
        let name = KeyRotation.keyName(client: client, at: now())
        let created: CreatedOpenRouterKey
        do {
            created = try await management.createKey(NewOpenRouterKey(name: name, limit: limit, limitReset: limitReset))
        } catch {
            throw Failure(client: client, reason: "OpenRouter did not create the key (\(error)); nothing was changed")
        }
        do {
            let after = try await agent.switchOpenRouterKey(to: created.secret)
            guard after.currentHash == created.key.hash else {
                throw Failure(client: client, reason: "the agent still reports key \(after.currentHash?.prefix(12) ?? "none")")
            }
        } catch {
            // The switch may have happened before its answer was lost: ask before undoing it.
            if let state = try? await agent.openRouterKey(), state.currentHash == created.key.hash {
                remember(hash: created.key.hash, name: name, since: now())
                return .created(hash: created.key.hash, name: name)
            }
            let removed = (try? await management.deleteKey(hash: created.key.hash)) != nil
            throw Failure(client: client, reason: "the agent did not take the new key (\(error)); "
                          + (removed ? "the new key was deleted again, nothing changed"
                                     : "delete the unused key \(created.key.hash.prefix(12)) (\(name)) at OpenRouter"))
        }
        remember(hash: created.key.hash, name: name, since: now())
        return .created(hash: created.key.hash, name: name)
    }
}
