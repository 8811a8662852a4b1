import Foundation
import MaiCore

/// Talks to an agent's fleet admin API (`ADMIN_BIND`, the host's loopback) over an SSH direct-tcpip
/// channel — no local port is opened. Each request is one HTTP/1.1 exchange on its own channel
/// with `Connection: close` and `Authorization: Bearer <fleet token>`.
public struct AdminAPIClient: Sendable {
    /// Opens the tunnels (an `SSHSession` in production).
    public let tunnels: any TunnelOpening
    /// The admin port on the host's loopback.
    public let adminPort: Int
    public let token: Secret
    /// Deadline for a whole exchange.
    public let timeout: Duration
    /// Names the host in errors.
    public let hostLabel: String

    public init(tunnels: any TunnelOpening, adminPort: Int = 8081, token: Secret, timeout: Duration = .seconds(30), hostLabel: String) {
        self.tunnels = tunnels
        self.adminPort = adminPort
        self.token = token
        self.timeout = timeout
        self.hostLabel = hostLabel
    }

    /// `GET /admin/v1/status`.
    public func status() async throws -> AdminStatus {
        try await get("/admin/v1/status")
    }

    /// `GET /admin/v1/usage` for the days `from`…`to` (`yyyy-MM-dd`), grouped by `day`, `user` or `model`.
    public func usage(from: String, to: String, groupBy: String = "day") async throws -> AdminUsageReport {
        var components = URLComponents()
        components.path = "/admin/v1/usage"
        components.queryItems = [URLQueryItem(name: "from", value: from), URLQueryItem(name: "to", value: to),
                                 URLQueryItem(name: "group_by", value: groupBy)]
        return try await get(components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? ""))
    }

    /// `GET /admin/v1/openrouter-key`.
    public func openRouterKey() async throws -> OpenRouterKeyState {
        try await get("/admin/v1/openrouter-key")
    }

    /// `GET` `path`, decoded from the admin API's snake_case JSON; non-2xx answers throw.
    public func get<Value: Decodable>(_ path: String, as type: Value.Type = Value.self) async throws -> Value {
        let response = try await send(HTTPRequest(method: "GET", path: path))
        try check(response)
        do {
            return try AdminAPI.decoder.decode(Value.self, from: response.body)
        } catch {
            throw AdminAPIError.invalidResponse(host: hostLabel, reason: "\(error)")
        }
    }

    /// Throws for anything but 2xx, with the agent's `{"detail"}` text.
    public func check(_ response: HTTPResponse) throws {
        guard !(200..<300).contains(response.status) else { return }
        if response.status == 401 { throw AdminAPIError.unauthorized(host: hostLabel) }
        struct Detail: Decodable { let detail: String }
        let detail = (try? JSONDecoder().decode(Detail.self, from: response.body))?.detail
            ?? String(decoding: response.body.prefix(200), as: UTF8.self)
        throw AdminAPIError.http(host: hostLabel, status: response.status, detail: detail)
    }

    /// One request/response exchange on a fresh tunnel; the token is added here.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var request = request
        request.headers.removeAll { $0.name.lowercased() == "authorization" }
        request.headers.append(HTTPHeader("Authorization", "Bearer \(token.value)"))
        if !request.headers.contains(where: { $0.name.lowercased() == "accept" }) {
            request.headers.append(HTTPHeader("Accept", "application/json"))
        }
        let bytes = try request.serialized(host: "127.0.0.1:\(adminPort)")
        let tunnel = try await tunnels.openDirectTCPIP(host: "127.0.0.1", port: adminPort)
        do {
            let response = try await exchange(bytes, method: request.method, over: tunnel)
            await tunnel.close()
            return response
        } catch {
            await tunnel.close()
            if let error = error as? HTTPResponseParser.ParseError {
                throw AdminAPIError.invalidResponse(host: hostLabel, reason: error.description)
            }
            throw error
        }
    }

    private func exchange(_ bytes: Data, method: String, over tunnel: any ByteTunnel) async throws -> HTTPResponse {
        let deadline = ContinuousClock.now + timeout
        try await tunnel.write(bytes)
        var parser = HTTPResponseParser(requestMethod: method)
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, let data = try await tunnel.read(timeout: remaining) else {
                if remaining <= .zero {
                    throw AdminAPIError.invalidResponse(host: hostLabel, reason: "no complete answer within \(timeout.seconds.formatted()) s")
                }
                return try parser.finish()
            }
            if let response = try parser.feed(data) { return response }
        }
    }
}
