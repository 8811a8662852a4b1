import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP exchange with OpenRouter: the seam the management client is tested through.
public protocol OpenRouterTransport: Sendable {
    /// Sends `request` and returns the answer (any status); throws only when no answer came.
    func send(_ request: OpenRouterRequest) async throws -> OpenRouterResponse
}

/// A request to OpenRouter, fully built (URL, headers, body).
public struct OpenRouterRequest: Sendable, Equatable {
    public var method: String
    public var url: URL
    public var headers: [(String, String)]
    public var body: Data?

    public init(method: String, url: URL, headers: [(String, String)], body: Data?) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    public static func == (lhs: OpenRouterRequest, rhs: OpenRouterRequest) -> Bool {
        lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map { "\($0.0): \($0.1)" } == rhs.headers.map { "\($0.0): \($0.1)" }
    }
}

/// OpenRouter's answer.
public struct OpenRouterResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The real transport: AsyncHTTPClient's shared client with a deadline per request.
public struct HTTPClientOpenRouterTransport: OpenRouterTransport {
    public let timeout: Duration

    public init(timeout: Duration = .seconds(30)) {
        self.timeout = timeout
    }

    public func send(_ request: OpenRouterRequest) async throws -> OpenRouterResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: Array(body))) }
        let seconds = Int64(timeout.components.seconds)
        do {
            let response = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(seconds))
            let body = try await response.body.collect(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return OpenRouterResponse(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView))
        } catch let error as HTTPClientError {
            throw OpenRouterAPIError.unreachable(url: request.url.absoluteString, reason: "\(error)")
        } catch let error as OpenRouterAPIError {
            throw error
        } catch {
            throw OpenRouterAPIError.unreachable(url: request.url.absoluteString, reason: "\(error)")
        }
    }
}
