import Foundation
import MaiCore
import Synchronization
import Testing
@testable import MaiFleet

/// Which OpenRouter key `maictl deploy` writes for a client: the shared OPENROUTER_API_KEY only in
/// a fleet of one; in a larger fleet a client without its own key fails before anything changes.
@Suite struct DeployKeyPolicyTests {
    static let shared = Secret("sk-or-v1-shared")
    static let sharedHash = DeployKeyPolicy.hash(shared)
    static let own = Secret("sk-or-v1-acme-own")

    func decide(_ clients: Int, state: Secret? = nil, shared: Secret? = shared, agent: DeployKeyPolicy.AgentKey = .notAsked)
        -> Result<DeployKeyPolicy.Choice, DeployKeyPolicy.Refusal> {
        DeployKeyPolicy.decide(client: "acme", enabledClients: clients, stateKeyHash: state.map(DeployKeyPolicy.hash),
                               sharedKeyHash: shared.map(DeployKeyPolicy.hash), agent: agent)
    }

    func refusal(_ result: Result<DeployKeyPolicy.Choice, DeployKeyPolicy.Refusal>) -> String? {
        if case .failure(let refusal) = result { return refusal.description }
        return nil
    }

    @Test func theHashIsSHA256HexAsOpenRouterAndTheAgentNameKeys() {
        #expect(DeployKeyPolicy.hash(Secret("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func aFleetOfOneMayUseTheSharedKey() throws {
        #expect(try decide(1).get() == .shared)
        #expect(!DeployKeyPolicy.needsAgent(enabledClients: 1, stateKeyHash: nil, sharedKeyHash: Self.sharedHash), "a fleet of one asks no agent")
        #expect(try decide(1, state: Self.own).get() == .stateDirectory, "its own key in the state directory still wins")
    }

    @Test func theStateDirectoryKeyIsUsedUnlessItIsTheSharedOne() throws {
        #expect(try decide(3, state: Self.own).get() == .stateDirectory)
        #expect(!DeployKeyPolicy.needsAgent(enabledClients: 3, stateKeyHash: DeployKeyPolicy.hash(Self.own), sharedKeyHash: Self.sharedHash))
        let copied = refusal(decide(3, state: Self.shared))
        #expect(copied?.contains("(instances/acme/openrouter-key) is the shared OPENROUTER_API_KEY") == true
                && copied?.contains("maictl keys create acme") == true, "\(String(describing: copied))")
    }

    @Test func aClientWhoseAgentUsesItsOwnKeyKeepsItAndGetsNoSharedKey() throws {
        #expect(DeployKeyPolicy.needsAgent(enabledClients: 3, stateKeyHash: nil, sharedKeyHash: Self.sharedHash))
        #expect(try decide(3, agent: .key(hash: "4f2a")).get() == .agentKeepsOwn(hash: "4f2a"))
    }

    @Test func inALargerFleetAClientWithoutItsOwnKeyIsRefusedWithWhatToDo() {
        let onShared = refusal(decide(2, agent: .key(hash: Self.sharedHash)))
        #expect(onShared == "acme: its agent uses the shared OPENROUTER_API_KEY; OPENROUTER_API_KEY is shared and this fleet has 2 enabled clients, "
                + "so it is not written into any client's env file. Give acme a key of its own now (its agent is running): maictl keys create acme "
                + "— then deploy again. Nothing was changed on acme.", "\(String(describing: onShared))")
        let keyless = refusal(decide(2, agent: DeployKeyPolicy.AgentKey.none))
        #expect(keyless?.contains("its agent runs without an OpenRouter key") == true && keyless?.contains("maictl keys create acme") == true,
                "\(String(describing: keyless))")
        let fresh = refusal(decide(2, agent: .unreachable("HTTP 502")))
        #expect(fresh?.contains("its agent did not answer: HTTP 502") == true
                && fresh?.contains("env -u OPENROUTER_API_KEY maictl deploy --only acme") == true
                && fresh?.contains("maictl keys create acme") == true, "\(String(describing: fresh))")
        #expect(refusal(decide(2, agent: .notAsked))?.contains("maictl keys create acme") == true)
    }

    @Test func withoutASharedKeyNothingIsRefusedAndNoAgentAsked() throws {
        #expect(try decide(3, shared: nil).get() == DeployKeyPolicy.Choice.none)
        #expect(!DeployKeyPolicy.needsAgent(enabledClients: 3, stateKeyHash: nil, sharedKeyHash: nil))
    }

    static func instance(_ slug: String) -> Instance {
        var defaults = FleetDefaults()
        defaults.agent.version = "0.1.0"
        defaults.operatorEmail = "ops@example.com"
        return Instance(client: ClientSpec(slug: slug, name: slug, domain: "\(slug).example", adminEmail: "admin@\(slug).example"), defaults: defaults)
    }

    @Test func thePlanAsksOnlyTheAgentsThatMatterAndTheEnvFileNeverGetsTheSharedKey() async throws {
        let asked = Mutex<[String]>([])
        let instances = ["acme", "globex", "initech", "umbrella"].map(Self.instance)
        let answers: [String: OpenRouterKeyState] = [
            "globex": OpenRouterKeyState(currentHash: "91bc", currentHint: nil, provisional: 0, oldKeys: []),
            "initech": OpenRouterKeyState(currentHash: Self.sharedHash, currentHint: nil, provisional: 0, oldKeys: []),
        ]
        let plans = await DeployKeyPolicy.plan(
            instances: instances, enabledClients: 4, stateKeys: ["acme": Self.own], shared: Self.shared, parallel: 2,
            askAgent: { instance in
                asked.withLock { $0.append(instance.slug) }
                guard let state = answers[instance.slug] else { throw AdminAPIError.http(host: instance.slug, status: 502, detail: "no agent") }
                return state
            })
        #expect(asked.withLock { $0.sorted() } == ["globex", "initech", "umbrella"], "acme has its own key in the state directory")
        #expect(try plans["acme"]?.get().key == Self.own)
        let globex = try #require(try plans["globex"]?.get())
        #expect(globex.choice == .agentKeepsOwn(hash: "91bc") && globex.key == nil)
        #expect(globex.note?.contains("keeps its own OpenRouter key 91bc") == true, "\(String(describing: globex.note))")
        #expect(refusal(plans["initech"]!.map(\.choice))?.contains("maictl keys create initech") == true)
        #expect(refusal(plans["umbrella"]!.map(\.choice))?.contains("env -u OPENROUTER_API_KEY maictl deploy --only umbrella") == true)

        // What reaches globex's env file: no OPENROUTER_API_KEY line, so the key its agent stores stays in use.
        let environment = AgentEnvironment(instance: Self.instance("globex"), fleetToken: Secret(String(repeating: "t", count: 64)),
                                           openRouterKey: globex.key, openRouterBaseURL: "http://127.0.0.1:9090/api/v1")
        #expect(!environment.keys.contains("OPENROUTER_API_KEY") && !environment.fileText.contains(Self.shared.value), "\(environment.keys)")

        // A dry run asks nobody; the clients that would need the shared key are named as refused.
        asked.withLock { $0 = [] }
        let dry = await DeployKeyPolicy.plan(instances: instances, enabledClients: 4, stateKeys: [:], shared: Self.shared, parallel: 2, askAgent: nil)
        #expect(asked.withLock { $0 }.isEmpty)
        #expect(dry.values.allSatisfy { if case .failure = $0 { true } else { false } })
    }

    @Test func aFleetOfOneGetsTheSharedKeyInItsEnvFile() async throws {
        let plans = await DeployKeyPolicy.plan(instances: [Self.instance("acme")], enabledClients: 1, stateKeys: [:], shared: Self.shared,
                                               parallel: 1, askAgent: { _ in Issue.record("no agent is asked"); throw CancellationError() })
        #expect(try plans["acme"]?.get().key == Self.shared)
    }
}
