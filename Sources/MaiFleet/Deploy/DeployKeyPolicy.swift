import Crypto
import Foundation
import MaiCore

/// Which OpenRouter key a deploy writes into a client's env file (`/srv/mai/env`).
///
/// How the agent uses it: the env file's `OPENROUTER_API_KEY` is the `openrouter` connection only
/// while the agent's database has no key of its own for that connection. A key `maictl keys
/// create` or `keys rotate` handed over is stored (sealed) in the database and wins over the env
/// file from then on (`ConnectionStore.all`), so a deploy cannot replace it; the env file's key is
/// then only the fallback of knowledge-base embeddings (`RAG_EMBEDDING_API_KEY`, else
/// `OPENROUTER_API_KEY`).
///
/// The rule: a client's own key in the state directory (`instances/<slug>/openrouter-key`) is
/// written as it is. The operator's shell `OPENROUTER_API_KEY` is shared by whoever gets it, so
/// it is written only in a fleet of one enabled client. In a larger fleet it is never written: a
/// client whose agent already uses another key (its own) is deployed without a key in the env
/// file and keeps it; a client without a key of its own fails before anything changes, with the
/// command that gives it one.
public enum DeployKeyPolicy {
    /// What the client's agent said about its key (`GET /admin/v1/openrouter-key`).
    public enum AgentKey: Sendable, Equatable {
        /// Not asked (not needed, or a dry run).
        case notAsked
        /// The agent answered: it has no OpenRouter key.
        case none
        /// The agent answered: it uses the key with this hash.
        case key(hash: String)
        /// The agent did not answer (not deployed yet, stopped, unreachable).
        case unreachable(String)
    }

    /// What goes into the env file.
    public enum Choice: Sendable, Equatable {
        /// The client's own key from the state directory.
        case stateDirectory
        /// The shared `OPENROUTER_API_KEY` (a fleet of one enabled client).
        case shared
        /// No key in the env file: the agent keeps the key of its own it uses (this hash).
        case agentKeepsOwn(hash: String)
        /// No key anywhere: the env file gets none (the agent keeps a stored key of its own, if it has one).
        case none
    }

    /// Why a client is not deployed; `description` says what to do.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var client: String
        public var reason: String
        public var description: String { "\(client): \(reason)" }
    }

    /// SHA-256 hex of a key: OpenRouter's and the agent's name for it (never the key itself).
    public static func hash(_ key: Secret) -> String {
        SHA256.hash(data: Data(key.value.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether the decision needs the agent's answer: only when the shared key would be the
    /// client's key and the fleet has more than one enabled client.
    public static func needsAgent(enabledClients: Int, stateKeyHash: String?, sharedKeyHash: String?) -> Bool {
        enabledClients > 1 && stateKeyHash == nil && sharedKeyHash != nil
    }

    /// The decision for one client. `enabledClients`: enabled clients in the fleet files (all of
    /// them, not only those being deployed); `stateKeyHash` / `sharedKeyHash`: hashes of the
    /// state directory's key and of `OPENROUTER_API_KEY`, when there are such keys.
    public static func decide(client: String, enabledClients: Int, stateKeyHash: String?, sharedKeyHash: String?,
                              agent: AgentKey) -> Result<Choice, Refusal> {
        let shared = enabledClients > 1
        if let stateKeyHash {
            if shared, stateKeyHash == sharedKeyHash {
                return .failure(Refusal(client: client, reason: "the key in the state directory (instances/\(client)/openrouter-key) is the "
                                        + "shared OPENROUTER_API_KEY, and this fleet has \(enabledClients) enabled clients: give \(client) a "
                                        + "key of its own — remove that file, run maictl keys create \(client) (an agent not deployed yet first: "
                                        + "env -u OPENROUTER_API_KEY maictl deploy --only \(client)) — and deploy again. Nothing was changed on \(client)."))
            }
            return .success(.stateDirectory)
        }
        guard let sharedKeyHash else { return .success(.none) }
        // One enabled client: nobody to share with. Its agent still keeps a stored key of its own.
        guard shared else { return .success(.shared) }
        if case .key(let hash) = agent, hash != sharedKeyHash { return .success(.agentKeepsOwn(hash: hash)) }
        let why = "OPENROUTER_API_KEY is shared and this fleet has \(enabledClients) enabled clients, so it is not written into any client's env file"
        let reason: String
        switch agent {
        case .key:
            reason = "its agent uses the shared OPENROUTER_API_KEY; \(why). Give \(client) a key of its own now (its agent is running): "
                + "maictl keys create \(client) — then deploy again."
        case .none:
            reason = "its agent runs without an OpenRouter key; \(why). Give \(client) a key of its own now: maictl keys create \(client) — "
                + "then deploy again."
        case .unreachable(let error):
            reason = "it has no OpenRouter key of its own that maictl can see (its agent did not answer: \(error)); \(why). "
                + "A new client: maictl bootstrap \(client) (deploys it without that key, then gives it its own); or deploy it "
                + "without that key (env -u OPENROUTER_API_KEY maictl deploy --only \(client)), then maictl keys create \(client)."
        case .notAsked:
            reason = "it has no OpenRouter key in the state directory and its agent was not asked for one; \(why). "
                + "A new client: maictl bootstrap \(client) (deploys it without that key, then gives it its own); or deploy it "
                + "without that key (env -u OPENROUTER_API_KEY maictl deploy --only \(client)), then maictl keys create \(client)."
        }
        return .failure(Refusal(client: client, reason: reason + " Nothing was changed on \(client)."))
    }

    /// The key decided for one client: what the env file gets, and a line for the operator.
    public struct Planned: Sendable {
        public var choice: Choice
        /// The secret for the env file (`nil`: no `OPENROUTER_API_KEY` line). Never printed.
        public var key: Secret?
        public var note: String?
    }

    /// Decides for every instance being deployed: asks the agents whose answer matters (at most
    /// `parallel` at once; `askAgent` nil — a dry run — asks none), then `decide`s. Results by slug.
    public static func plan(instances: [Instance], enabledClients: Int, stateKeys: [String: Secret], shared: Secret?, parallel: Int,
                            askAgent: (@Sendable (Instance) async throws -> OpenRouterKeyState)?) async -> [String: Result<Planned, Refusal>] {
        let sharedHash = shared.map(hash)
        let asking = instances.filter { needsAgent(enabledClients: enabledClients, stateKeyHash: stateKeys[$0.slug].map(hash), sharedKeyHash: sharedHash) }
        var answers: [String: AgentKey] = [:]
        if let askAgent {
            let results = await withBoundedParallelism(limit: max(1, parallel), over: asking) { try await askAgent($0) }
            for (instance, result) in zip(asking, results) {
                switch result {
                case .success(let state): answers[instance.slug] = state.currentHash.map { AgentKey.key(hash: $0) } ?? AgentKey.none
                case .failure(let error): answers[instance.slug] = .unreachable("\(error)")
                }
            }
        }
        var plans: [String: Result<Planned, Refusal>] = [:]
        for instance in instances {
            let slug = instance.slug
            let decision = decide(client: slug, enabledClients: enabledClients, stateKeyHash: stateKeys[slug].map(hash), sharedKeyHash: sharedHash,
                                  agent: answers[slug] ?? .notAsked)
            plans[slug] = decision.map { choice in
                switch choice {
                case .stateDirectory:
                    Planned(choice: choice, key: stateKeys[slug], note: nil)
                case .shared:
                    Planned(choice: choice, key: shared, note: nil)
                case .agentKeepsOwn(let hash):
                    Planned(choice: choice, key: nil, note: "\(slug): its agent keeps its own OpenRouter key \(hash.prefix(12)); the env file gets no "
                            + "OPENROUTER_API_KEY (the shared one is not written in a fleet of \(enabledClients) clients)")
                case .none:
                    Planned(choice: choice, key: nil, note: "\(slug): no OpenRouter key in the state directory and OPENROUTER_API_KEY is not set: "
                            + "the env file gets none; the agent keeps a key of its own if it has one (maictl keys create \(slug) gives it one)")
                }
            }
        }
        return plans
    }
}
