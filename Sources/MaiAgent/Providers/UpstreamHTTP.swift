import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The agent's HTTP client for model providers: one connection pool, timeouts on every call,
/// and error answers turned into `ProviderError` with the upstream's own reason.
struct UpstreamHTTP: Sendable {
    /// The read timeout whose process-wide client this uses; the client is made on first use, so
    /// an agent that never calls a provider never pays for one.
    let readTimeoutSeconds: Int
    /// Which addresses may be called: the operator's as configured, others only when public.
    let outbound: OutboundPolicy
    var client: HTTPClient { Self.shared(readTimeoutSeconds: readTimeoutSeconds) }
    /// Deadline for the response head (connect, send, the provider's time to first byte).
    var headTimeout: TimeAmount = .seconds(60)

    /// One client per read timeout for the whole process (a client must be shut down before it is
    /// released; these live as long as the process).
    static func shared(readTimeoutSeconds: Int) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[readTimeoutSeconds] { return client }
            let client = makeClient(readTimeout: .seconds(Int64(readTimeoutSeconds)))
            clients[readTimeoutSeconds] = client
            return client
        }
    }

    private static let clients = Mutex<[Int: HTTPClient]>([:])

    /// Makes the client: generous per-host pool (hundreds of concurrent streams to one provider),
    /// `readTimeout` between bytes of a streaming body (a stalled upstream ends with an error).
    static func makeClient(readTimeout: TimeAmount) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: readTimeout)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
        configuration.httpVersion = .automatic
        configuration.decompression = .enabled(limit: .ratio(25))
        // A redirect would reach an address the outbound policy never checked (a public URL
        // answering 302 to 169.254.169.254); providers' APIs do not redirect.
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends `body` as JSON and returns the response once its head arrived with a 2xx status.
    /// - Throws: `ProviderError` for any other status (with the upstream's message) and for
    ///   transport failures (502 network, 504 timeout); kind `blocked_address` when the outbound
    ///   policy refuses the address (nothing was sent).
    func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)], body: Data?) async throws -> HTTPClientResponse {
        do {
            try await outbound.check(url)
        } catch let refusal as OutboundRefusal {
            throw ProviderError.blocked(refusal)
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response: HTTPClientResponse
        do {
            do {
                response = try await client.execute(request, timeout: headTimeout)
            } catch where Self.isStaleConnection(error) {
                // A pooled connection the server had already closed: the request never left. Once more.
                response = try await client.execute(request, timeout: headTimeout)
            }
        } catch let error as HTTPClientError {
            throw Self.transportError(error, url: url)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ProviderError(status: 502, message: "Cannot reach the provider at \(Self.host(url)): \(error)", kind: "network")
        }
        guard (200..<300).contains(response.status.code) else {
            let text = String(buffer: (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer())
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            throw ProviderError.forStatus(Int(response.status.code), message: Self.upstreamMessage(text, status: Int(response.status.code)), retryAfter: retryAfter)
        }
        return response
    }

    /// Errors that mean a kept-alive connection was closed by the server before our request went out.
    static func isStaleConnection(_ error: any Error) -> Bool {
        if let error = error as? ChannelError, error == .ioOnClosedChannel || error == .alreadyClosed { return true }
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed { return true }
        return false
    }

    /// The JSON body of a successful non-streaming call, decoded.
    func json<T: Decodable>(_ type: T.Type, _ method: HTTPMethod, _ url: String, headers: [(String, String)], body: Data? = nil) async throws -> T {
        let response = try await send(method, url, headers: headers, body: body)
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: 32 << 20)
        } catch {
            throw ProviderError(status: 502, message: "The provider's answer from \(Self.host(url)) was cut off or too large.", kind: "upstream")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch {
            throw ProviderError(status: 502, message: "The provider at \(Self.host(url)) answered in an unexpected format.", kind: "upstream")
        }
    }

    /// What an admin or employee is shown of an error answer: the provider's own
    /// `{"error":{"message"}}` (OpenAI, OpenRouter, Anthropic, Gemini, Ollama's `/v1`) or Ollama's
    /// `{"error":"…"}`, without control characters and at most 200 characters; otherwise only
    /// the status. Never the raw body: an internal page answering an error must not be read back
    /// through the agent.
    static func upstreamMessage(_ text: String, status: Int) -> String {
        struct Envelope: Decodable {
            struct Inner: Decodable { var message: String? }
            var error: Inner?
        }
        struct PlainEnvelope: Decodable {
            var error: String
        }
        let data = Data(text.utf8)
        let message = (try? JSONDecoder().decode(Envelope.self, from: data))?.error?.message
            ?? (try? JSONDecoder().decode(PlainEnvelope.self, from: data))?.error
        let cleaned = sanitized(message ?? "", limit: 200)
        return cleaned.isEmpty ? "HTTP \(status) without an error message" : cleaned
    }

    /// `text` on one line: control and format characters (terminal escapes, bidi overrides)
    /// become spaces, runs of white space one space, at most `limit` characters.
    static func sanitized(_ text: String, limit: Int) -> String {
        var result = ""
        var count = 0
        var lastWasSpace = true
        for scalar in text.unicodeScalars {
            let category = scalar.properties.generalCategory
            let isSpace = scalar.properties.isWhitespace || category == .control || category == .format
                || category == .lineSeparator || category == .paragraphSeparator
            if isSpace {
                if !lastWasSpace { result.unicodeScalars.append(" "); count += 1 }
                lastWasSpace = true
            } else {
                result.unicodeScalars.append(scalar)
                count += 1
                lastWasSpace = false
            }
            if count >= limit { break }
        }
        if result.hasSuffix(" ") { result.removeLast() }
        return result
    }

    static func transportError(_ error: HTTPClientError, url: String) -> ProviderError {
        switch error {
        case .deadlineExceeded, .readTimeout, .connectTimeout:
            ProviderError(status: 504, message: "The provider at \(host(url)) did not answer in time.", kind: "timeout")
        case .cancelled:
            ProviderError(status: 499, message: "The request was cancelled.", kind: "cancelled")
        default:
            ProviderError(status: 502, message: "Cannot reach the provider at \(host(url)) (\(error)).", kind: "network")
        }
    }

    static func host(_ url: String) -> String {
        URL(string: url)?.host ?? url
    }
}

extension HTTPClientResponse.Body {
    /// Feeds the body through an SSE parser and hands each complete event to `handle`, which
    /// returns `false` to stop early. A read timeout or a cut connection throws a `ProviderError`.
    func forEachServerSentEvent(host: String, _ handle: (SSEParser.Event) throws -> Bool) async throws {
        var parser = SSEParser()
        do {
            for try await buffer in self {
                for event in try parser.feed(buffer) where try !handle(event) { return }
            }
            if let last = parser.finish() { _ = try handle(last) }
        } catch let error as HTTPClientError {
            throw UpstreamHTTP.transportError(error, url: "https://\(host)")
        } catch let error as ProviderError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch is SSEError {
            throw ProviderError(status: 502, message: "The provider at \(host) sent a line longer than 8 MiB.", kind: "upstream")
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw ProviderError(status: 502, message: "The connection to \(host) broke mid-answer.", kind: "network")
        }
    }
}
