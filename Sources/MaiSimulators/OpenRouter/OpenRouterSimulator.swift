import Foundation
import Hummingbird
import Logging
import Synchronization

/// A local stand-in for openrouter.ai: `/api/v1` (chat completions, generation stats, keys, activity,
/// credits, models, embeddings) plus a control API under `/__sim` for tests.
///
/// Start it in-process with `buildApplication(host:port:)` or mount it into another router with
/// `addRoutes(to:)`; drive and inspect it with `registerKey(_:behavior:)`, `generations` and `reset()`.
public final class OpenRouterSimulator: Sendable {
    public let configuration: OpenRouterConfiguration
    let clock: SimulatorClock
    let logger: Logger
    let store = Mutex(OpenRouterStore())
    let modelsByID: [String: SimulatedModel]

    public init(configuration: OpenRouterConfiguration = OpenRouterConfiguration(), clock: SimulatorClock = .system, logger: Logger = Logger(label: "mai.sim.openrouter")) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.modelsByID = Dictionary(configuration.models.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Adds `/api/v1/…` and `/__sim/…` to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let api = router.group("api/v1")
        api.post("chat/completions") { request, _ in try await self.chatCompletions(request) }
        api.get("generation") { request, _ in
            if let latency = try self.generationLatency(request) { try await Task.sleep(for: latency) }
            return try self.generation(request)
        }
        api.get("models") { _, _ in self.models() }
        api.post("embeddings") { request, _ in try await self.embeddings(request) }
        api.get("key") { request, _ in try self.currentKey(request) }
        api.get("keys") { request, _ in try self.listKeys(request) }
        api.post("keys") { request, _ in try await self.createKey(request) }
        api.get("keys/:hash") { request, context in try self.getKey(request, hash: context.parameters.get("hash") ?? "") }
        api.patch("keys/:hash") { request, context in try await self.updateKey(request, hash: context.parameters.get("hash") ?? "") }
        api.delete("keys/:hash") { request, context in try self.deleteKey(request, hash: context.parameters.get("hash") ?? "") }
        api.get("activity") { request, _ in try self.activity(request) }
        api.get("credits") { request, _ in try self.credits(request) }

        let control = router.group("__sim")
        control.post("keys") { request, _ in try await self.controlRegisterKey(request) }
        control.get("generations") { _, _ in self.controlGenerations() }
        control.get("running") { _, _ in self.controlRunning() }
        control.post("faults") { request, _ in try await self.controlFaults(request) }
        control.get("faults") { _, _ in self.controlFaultsState() }
        control.post("reset") { _, _ in self.reset(); return Response(status: .noContent) }
    }

    /// A router with only this simulator's routes.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router)
        return router
    }

    /// An application serving this simulator on `host:port` (`port: 0` picks a free port; read it in
    /// `onServerRunning`).
    public func buildApplication(host: String = "127.0.0.1", port: Int = 9090, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(host, port: port), serverName: "mai-sim-openrouter"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    // MARK: Swift control API

    /// Registers `secret` with `behavior` (replacing an earlier registration); returns its hash.
    @discardableResult
    public func registerKey(_ secret: String, behavior: KeyBehavior = KeyBehavior()) -> String {
        let now = clock.now
        return store.withLock { store in
            let hash = SimulatedKey.hash(of: secret)
            var key = store.keys[hash] ?? SimulatedKey(
                secret: secret, name: behavior.name ?? secret, listed: behavior.name != nil, createdAt: now)
            key.behavior = behavior
            key.isManagement = behavior.management ?? key.isManagement
            key.disabled = behavior.disabled ?? key.disabled
            if let limit = behavior.limit { key.limit = USDNanos(dollars: limit) }
            if let reset = behavior.limitReset { key.limitReset = reset }
            if let name = behavior.name { key.name = name; key.listed = true }
            store.revoked.remove(hash)
            store.insert(key)
            return hash
        }
    }

    /// Every generation served so far, oldest first (what tests compare their books against).
    /// Ids of the completions being served now (`GET /__sim/running`).
    public var running: [String] {
        store.withLock { Array($0.running.keys) }.sorted()
    }

    public var generations: [GenerationRecord] {
        store.withLock { $0.generations }
    }

    /// The generation with `id`, regardless of the visibility delay.
    public func generation(id: String) -> GenerationRecord? {
        store.withLock { store in store.generationIndex[id].map { store.generations[$0] } }
    }

    /// The key with `hash`, if known.
    public func key(hash: String) -> SimulatedKey? {
        store.withLock { $0.keys[hash] }
    }

    /// Forgets every key and generation.
    public func reset() {
        store.withLock { $0 = OpenRouterStore() }
    }

    // MARK: Authentication

    /// The key a request authenticates with, creating it when it is accepted by prefix.
    func authenticate(_ request: Request) throws -> SimulatedKey {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else {
            throw OpenRouterError.noCredentials
        }
        let secret = String(header.dropFirst("bearer ".count)).trimmingWhitespace()
        guard !secret.isEmpty else { throw OpenRouterError.noCredentials }
        let hash = SimulatedKey.hash(of: secret)
        let now = clock.now
        let key: SimulatedKey? = store.withLock { store in
            if let known = store.keys[hash] { return known }
            if store.revoked.contains(hash) { return nil }
            let isManagement = configuration.managementKeyPrefix.map { secret.hasPrefix($0) } ?? false
            let accepted = isManagement || (configuration.acceptedKeyPrefix.map { secret.hasPrefix($0) } ?? false)
            guard accepted else { return nil }
            let key = SimulatedKey(secret: secret, name: "", isManagement: isManagement, listed: false, createdAt: now)
            store.insert(key)
            return key
        }
        guard let key else { throw OpenRouterError.noCredentials }
        return key
    }

    /// The key, which must be a management key. A management outage switched on through
    /// `/__sim/faults` answers every management call with its status first.
    func authenticateManagement(_ request: Request) throws -> SimulatedKey {
        if let code = store.withLock({ $0.faults.managementError }) {
            throw OpenRouterError.simulated(code, retryAfterSeconds: configuration.retryAfterSeconds,
                                            now: Int64(clock.now.timeIntervalSince1970), model: nil)
        }
        let key = try authenticate(request)
        guard key.isManagement else { throw OpenRouterError.managementOnly }
        return key
    }

    /// Sets the faults (what `POST /__sim/faults` does).
    public func setFaults(_ faults: SimulatorFaults) {
        store.withLock { $0.faults = faults }
    }
}
