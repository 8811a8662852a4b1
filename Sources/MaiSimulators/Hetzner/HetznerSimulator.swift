import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A local stand-in for api.hetzner.cloud at `/v1` (servers, actions, SSH keys, firewalls, server
/// types, locations, images) with the shapes of `facts/hetzner.md`, plus a control API under `/__sim`.
///
/// Every answer carries `X-Correlation-Id` and the `RateLimit-*` headers; each token has its own
/// request budget (429 `rate_limit_exceeded` when spent); actions take time and report progress;
/// created servers get addresses from a pool (the test fleet's hosts) so maictl can reach them.
public final class HetznerSimulator: Sendable {
    public let configuration: HetznerConfiguration
    let clock: SimulatorClock
    let store: Mutex<HetznerStore>

    public init(configuration: HetznerConfiguration = HetznerConfiguration(), clock: SimulatorClock = .system) {
        self.configuration = configuration
        self.clock = clock
        var store = HetznerStore()
        store.setPool(configuration.hostPool)
        self.store = Mutex(store)
    }

    /// Adds `/v1/…` and `/__sim/…` to `router`.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let api = router.group("v1")
        api.get("servers") { request, _ in try await self.serve(request) { try self.listServers(request) } }
        api.post("servers") { request, _ in try await self.serve(request) { try self.createServer(try await self.body(request)) } }
        api.get("servers/:id") { request, context in try await self.serve(request) { try self.getServer(try self.id(context)) } }
        api.put("servers/:id") { request, context in
            try await self.serve(request) { try self.updateServer(try self.id(context), try await self.body(request)) }
        }
        api.delete("servers/:id") { request, context in try await self.serve(request) { try self.deleteServer(try self.id(context)) } }
        api.post("servers/:id/actions/:command") { request, context in
            try await self.serve(request) { try self.powerAction(try self.id(context), context.parameters.get("command") ?? "") }
        }
        api.get("actions") { request, _ in try await self.serve(request) { try self.listActions(request) } }
        api.get("actions/:id") { request, context in try await self.serve(request) { try self.getAction(try self.id(context)) } }
        api.get("ssh_keys") { request, _ in try await self.serve(request) { try self.listSSHKeys(request) } }
        api.post("ssh_keys") { request, _ in try await self.serve(request) { try self.createSSHKey(try await self.body(request)) } }
        api.get("ssh_keys/:id") { request, context in try await self.serve(request) { try self.getSSHKey(try self.id(context)) } }
        api.put("ssh_keys/:id") { request, context in
            try await self.serve(request) { try self.updateSSHKey(try self.id(context), try await self.body(request)) }
        }
        api.delete("ssh_keys/:id") { request, context in try await self.serve(request) { try self.deleteSSHKey(try self.id(context)) } }
        api.get("firewalls") { request, _ in try await self.serve(request) { try self.listFirewalls(request) } }
        api.post("firewalls") { request, _ in try await self.serve(request) { try self.createFirewall(try await self.body(request)) } }
        api.get("firewalls/:id") { request, context in try await self.serve(request) { try self.getFirewall(try self.id(context)) } }
        api.delete("firewalls/:id") { request, context in try await self.serve(request) { try self.deleteFirewall(try self.id(context)) } }
        api.post("firewalls/:id/actions/:command") { request, context in
            try await self.serve(request) {
                try self.firewallAction(try self.id(context), context.parameters.get("command") ?? "", try await self.body(request))
            }
        }
        api.get("server_types") { request, _ in try await self.serve(request) { try self.listServerTypes(request) } }
        api.get("locations") { request, _ in try await self.serve(request) { try self.listLocations(request) } }
        api.get("images") { request, _ in try await self.serve(request) { try self.listImages(request) } }

        let control = router.group("__sim")
        control.get("hosts") { _, _ in self.controlHosts() }
        control.post("hosts") { request, _ in try await self.controlSetHosts(request) }
        control.get("requests") { _, _ in self.controlRequests() }
        control.post("reset") { _, _ in self.reset(); return Response(status: .noContent) }
    }

    /// A router with only this simulator's routes.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        addRoutes(to: router)
        return router
    }

    // MARK: Swift control API

    /// Hands `addresses` to the next created servers, in order.
    public func setHostPool(_ addresses: [String]) {
        store.withLock { $0.setPool(addresses) }
    }

    /// `METHOD /path` of every API request that passed authentication, in order.
    public var requestLog: [String] { store.withLock { $0.requestLog } }

    /// The cloud-init user data a server was created with.
    public func userData(serverName: String) -> String? {
        store.withLock { store in store.servers.values.first { $0.name == serverName }?.userData }
    }

    /// Forgets every resource and budget; the host pool starts over.
    public func reset() {
        store.withLock { store in
            let pool = store.pool
            store = HetznerStore()
            store.setPool(pool)
        }
    }

    // MARK: Plumbing

    static let correlationHeader = HTTPField.Name("X-Correlation-Id")!
    static let limitHeader = HTTPField.Name("RateLimit-Limit")!
    static let remainingHeader = HTTPField.Name("RateLimit-Remaining")!
    static let resetHeader = HTTPField.Name("RateLimit-Reset")!

    /// Authenticates, spends one request of the token's budget, runs `handler`, and stamps the
    /// correlation id and rate-limit headers on whatever comes back (errors too).
    func serve(_ request: Request, _ handler: () async throws -> Response) async throws -> Response {
        var headers: HTTPFields = [:]
        headers[Self.correlationHeader] = Self.correlationID()
        var response: Response
        do {
            let token = try authenticate(request)
            let limit = spend(token: token, path: "\(request.method.rawValue) \(request.uri.path)")
            headers[Self.limitHeader] = String(configuration.rateLimit)
            headers[Self.remainingHeader] = String(limit.remaining)
            headers[Self.resetHeader] = String(limit.reset)
            guard limit.allowed else {
                throw HetznerSimError(.tooManyRequests, "rate_limit_exceeded", "limit of \(configuration.rateLimit) requests per hour reached")
            }
            response = try await handler()
        } catch let error as HetznerSimError {
            response = SimulatorResponses.json(error.body, status: error.status)
        }
        for field in headers { response.headers[field.name] = field.value }
        return response
    }

    private func authenticate(_ request: Request) throws -> String {
        guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { throw HetznerSimError.unauthorized }
        let token = String(value.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        guard configuration.tokens.contains(token) else { throw HetznerSimError.unauthorized }
        return token
    }

    /// Refills the token's budget evenly (one request per `refillInterval`) and spends one request.
    private func spend(token: String, path: String) -> (allowed: Bool, remaining: Int, reset: Int) {
        let now = clock.now
        let interval = max(0.001, Double(configuration.refillInterval.components.seconds) + Double(configuration.refillInterval.components.attoseconds) / 1e18)
        let limit = Double(configuration.rateLimit)
        return store.withLock { store in
            var budget = store.budgets[token] ?? HetznerStore.Budget(remaining: limit, refilledAt: now)
            budget.remaining = min(limit, budget.remaining + now.timeIntervalSince(budget.refilledAt) / interval)
            budget.refilledAt = now
            let allowed = budget.remaining >= 1
            if allowed {
                budget.remaining -= 1
                store.requestLog.append(path)
            }
            store.budgets[token] = budget
            let reset = Int((now.timeIntervalSince1970 + (limit - budget.remaining) * interval).rounded(.up))
            return (allowed, Int(budget.remaining.rounded(.down)), reset)
        }
    }

    static func correlationID() -> String {
        (0..<16).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
    }

    /// The JSON object body; `json_error` for anything else.
    func body(_ request: Request) async throws -> [String: Any] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 1 << 20)
        } catch {
            throw HetznerSimError(.contentTooLarge, "invalid_input", "request body too large")
        }
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw HetznerSimError.jsonError
        }
        return object
    }

    func id(_ context: some RequestContext) throws -> Int {
        guard let text = context.parameters.get("id"), let id = Int(text), id > 0 else {
            throw HetznerSimError.invalidInput("id", "must be a positive integer")
        }
        return id
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        SimulatorResponses.json(value, status: status)
    }
}
