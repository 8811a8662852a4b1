import AsyncHTTPClient
import Foundation
import MaiCore
import NIOCore
import NIOHTTP1

/// An HTTP answer of the Hetzner API.
public struct HetznerResponse: Sendable, Equatable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        self.body = body
    }

    public var correlationID: String? { headers["x-correlation-id"] }
}

/// The seam to the network: sends one authenticated request. Tests use the simulator on a real port.
public protocol HetznerTransport: Sendable {
    func send(_ request: HetznerRequest) async throws -> HetznerResponse
}

/// The production transport: AsyncHTTPClient's shared client, the bearer token, a deadline per call.
public struct HTTPHetznerTransport: HetznerTransport {
    /// `https://api.hetzner.cloud/v1` or `HCLOUD_ENDPOINT`, without a trailing slash.
    public let endpoint: String
    let token: Secret
    let timeout: TimeAmount

    public init(endpoint: String, token: Secret, timeout: TimeAmount = .seconds(30)) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.token = token
        self.timeout = timeout
    }

    public func send(_ request: HetznerRequest) async throws -> HetznerResponse {
        var outgoing = HTTPClientRequest(url: endpoint + request.pathAndQuery)
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.add(name: "Authorization", value: "Bearer \(token.value)")
        outgoing.headers.add(name: "User-Agent", value: "maictl/\(MaiVersion.current)")
        outgoing.headers.add(name: "Accept", value: "application/json")
        if let body = request.body {
            outgoing.headers.add(name: "Content-Type", value: "application/json")
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(outgoing, timeout: timeout)
        } catch {
            // The error text of AsyncHTTPClient never contains the request headers (no token leaks).
            throw HetznerClientError.transport("\(error)")
        }
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw HetznerClientError.transport("reading the answer: \(error)")
        }
        return HetznerResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
    }
}
