import Foundation
import MaiCore
import Synchronization
import Testing
@testable import MaiFleet

@Suite("SSH tunnel HTTP/1.1: request writer and response parser")
struct SSHTunnelHTTPTests {
    @Test func requestIsWrittenWithHostLengthAndClose() throws {
        let request = HTTPRequest(method: "PUT", path: "/admin/v1/openrouter-key",
                                  headers: [HTTPHeader("Authorization", "Bearer t0k"), HTTPHeader("Connection", "keep-alive")],
                                  body: Data(#"{"a":1}"#.utf8))
        let text = String(decoding: try request.serialized(host: "127.0.0.1:8081"), as: UTF8.self)
        #expect(text == "PUT /admin/v1/openrouter-key HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nAuthorization: Bearer t0k\r\n"
            + "Content-Length: 7\r\nConnection: close\r\n\r\n{\"a\":1}")
        let get = String(decoding: try HTTPRequest(method: "GET", path: "/x?y=1").serialized(host: "h"), as: UTF8.self)
        #expect(get == "GET /x?y=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    }

    @Test(arguments: [
        HTTPRequest(method: "GET", path: "/a b"),
        HTTPRequest(method: "GET", path: "/a\r\nX-Evil: 1"),
        HTTPRequest(method: "GET", path: "no-slash"),
        HTTPRequest(method: "GE T", path: "/"),
        HTTPRequest(method: "GET", path: "/", headers: [HTTPHeader("X", "a\r\nEvil: 1")]),
        HTTPRequest(method: "GET", path: "/", headers: [HTTPHeader("Bad Name", "v")]),
    ])
    func requestSmugglingIsRefused(request: HTTPRequest) {
        #expect(throws: HTTPRequest.InvalidRequest.self) { try request.serialized(host: "h") }
    }

    @Test func contentLengthBody() throws {
        let raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}EXTRA"
        let response = try #require(try parseAll(raw))
        #expect(response.status == 200)
        #expect(response.reason == "OK")
        #expect(response[header: "content-type"] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"ok":true}"#)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1A\r\n, chunked world of 26 byte\r\n0\r\nX-Trailer: t\r\n\r\n"
        let response = try #require(try parseAll(raw))
        #expect(String(decoding: response.body, as: UTF8.self) == "hello, chunked world of 26 byte")
    }

    /// Bytes may arrive split anywhere: every split point of each message gives the same response.
    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
    ])
    func everySplitPointParsesTheSame(raw: String) throws {
        let whole = try #require(try parseAll(raw))
        let bytes = Array(raw.utf8)
        for split in 1..<bytes.count {
            var parser = HTTPResponseParser()
            let first = try parser.feed(bytes[0..<split])
            let response = try first ?? parser.feed(bytes[split...])
            #expect(response == whole, "split at \(split)")
        }
        for size in [1, 2, 3, 7] {  // and fed in tiny pieces
            var parser = HTTPResponseParser()
            var result: HTTPResponse?
            var index = 0
            while result == nil, index < bytes.count {
                result = try parser.feed(bytes[index..<min(bytes.count, index + size)])
                index += size
            }
            #expect(result == whole)
        }
    }

    @Test func bodyUntilCloseAndNoBodyCases() throws {
        var parser = HTTPResponseParser()
        #expect(try parser.feed(Array("HTTP/1.0 200 OK\r\nServer: x\r\n\r\npartial ".utf8)) == nil)
        #expect(try parser.feed(Array("rest".utf8)) == nil)
        #expect(String(decoding: try parser.finish().body, as: UTF8.self) == "partial rest")

        #expect(try parseAll("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n")?.body.isEmpty == true)
        var head = HTTPResponseParser(requestMethod: "HEAD")
        #expect(try head.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".utf8))?.body.isEmpty == true)
        #expect(try parseAll("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")?.status == 401)
    }

    @Test(arguments: [
        ("HTTP/2 200 OK\r\n\r\n", HTTPResponseParser.ParseError.malformedStatusLine("HTTP/2 200 OK")),
        ("HTTP/1.1 2000 OK\r\n\r\n", .malformedStatusLine("HTTP/1.1 2000 OK")),
        ("HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n", .malformedHeader("Bad Header: x")),
        ("HTTP/1.1 200 OK\r\n folded\r\n\r\n", .malformedHeader(" folded")),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .invalidContentLength("-1")),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .invalidContentLength("1,2")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk("zz")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", .malformedChunk("missing CRLF after chunk data")),
    ])
    func malformedResponsesAreErrors(raw: String, error: HTTPResponseParser.ParseError) {
        #expect(throws: error) { _ = try parseAll(raw) }
    }

    @Test func limitsAndTruncation() throws {
        var small = HTTPResponseParser(maxHeadBytes: 64, maxBodyBytes: 8)
        #expect(throws: HTTPResponseParser.ParseError.headTooLarge) {
            _ = try small.feed(Array(("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 100)).utf8))
        }
        var body = HTTPResponseParser(maxBodyBytes: 8)
        #expect(throws: HTTPResponseParser.ParseError.bodyTooLarge) {
            _ = try body.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n".utf8))
        }
        var chunked = HTTPResponseParser(maxBodyBytes: 8)
        #expect(throws: HTTPResponseParser.ParseError.bodyTooLarge) {
            _ = try chunked.feed(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\n".utf8))
        }
        var cut = HTTPResponseParser()
        _ = try cut.feed(Array("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc".utf8))
        #expect(throws: HTTPResponseParser.ParseError.truncated) { _ = try cut.finish() }
    }

    private func parseAll(_ raw: String) throws -> HTTPResponse? {
        var parser = HTTPResponseParser()
        return try parser.feed(Array(raw.utf8))
    }
}

/// A tunnel that records what was written and answers with scripted pieces. It fails by default:
/// a test that does not script an answer gets an error, never a real connection.
final class ScriptedTunnel: ByteTunnel, TunnelOpening, @unchecked Sendable {
    private let state: Mutex<(written: Data, pieces: [Data], closed: Bool, opened: [String])>

    init(answer pieces: [String]) {
        state = Mutex((Data(), pieces.map { Data($0.utf8) }, false, []))
    }

    var written: String { String(decoding: state.withLock { $0.written }, as: UTF8.self) }
    var closed: Bool { state.withLock { $0.closed } }
    var opened: [String] { state.withLock { $0.opened } }

    func openDirectTCPIP(host: String, port: Int) async throws -> any ByteTunnel {
        state.withLock { $0.opened.append("\(host):\(port)") }
        return self
    }
    func write(_ data: Data) async throws { state.withLock { $0.written.append(data) } }
    func read(timeout: Duration) async throws -> Data? {
        state.withLock { $0.pieces.isEmpty ? nil : $0.pieces.removeFirst() }
    }
    func close() async { state.withLock { $0.closed = true } }
}

@Suite("SSH tunnel: AdminAPIClient over a scripted tunnel")
struct SSHAdminAPIClientTests {
    static let statusJSON = #"{"database_bytes":4096,"instance":"h1","markup_rate":"1.3","name":"Test","started_at":"2026-01-01T00:00:00Z","today":{"completion_tokens":0,"confirmed":0,"estimated":0,"price":"0","prompt_tokens":0,"provisional":0,"raw_cost":"0","requests":0,"unverified":0},"uptime_seconds":5,"users":0,"version":"0.1.0"}"#

    @Test func statusSendsBearerTokenAndDecodesChunkedAnswer() async throws {
        let body = Self.statusJSON
        let half = body.utf8.count / 2
        let first = String(body.prefix(half)), second = String(body.dropFirst(half))
        let tunnel = ScriptedTunnel(answer: [
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n",
            String(second.utf8.count, radix: 16) + "\r\n" + second + "\r\n0\r\n\r\n",
        ])
        let client = AdminAPIClient(tunnels: tunnel, adminPort: 8081, token: Secret("fleet-token-0123456789abcdef0123456789"), hostLabel: "h1")
        let status = try await client.status()
        #expect(status.instance == "h1")
        #expect(status.users == 0)
        #expect(tunnel.opened == ["127.0.0.1:8081"])
        #expect(tunnel.written.hasPrefix("GET /admin/v1/status HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n"))
        #expect(tunnel.written.contains("\r\nAuthorization: Bearer fleet-token-0123456789abcdef0123456789\r\n"))
        #expect(tunnel.written.hasSuffix("Connection: close\r\n\r\n"))
        #expect(tunnel.closed)
    }

    @Test func unauthorizedAndOtherErrorsAreTyped() async throws {
        let refused = ScriptedTunnel(answer: ["HTTP/1.1 401 Unauthorized\r\nContent-Length: 25\r\n\r\n{\"detail\":\"Unauthorized\"}"])
        let client = AdminAPIClient(tunnels: refused, token: Secret("wrong"), hostLabel: "h2")
        await #expect(throws: AdminAPIError.unauthorized(host: "h2")) { try await client.status() }
        #expect(refused.closed)

        let detail = #"{"detail":"group_by must be day, user or model."}"#
        let bad = ScriptedTunnel(answer: ["HTTP/1.1 400 Bad Request\r\nContent-Length: \(detail.utf8.count)\r\n\r\n\(detail)"])
        let badClient = AdminAPIClient(tunnels: bad, token: Secret("t"), hostLabel: "h2")
        await #expect(throws: AdminAPIError.http(host: "h2", status: 400, detail: "group_by must be day, user or model.")) {
            _ = try await badClient.usage(from: "2026-01-01", to: "2026-01-31", groupBy: "week")
        }
        #expect(bad.written.hasPrefix("GET /admin/v1/usage?from=2026-01-01&to=2026-01-31&group_by=week HTTP/1.1\r\n"))

        let cut = ScriptedTunnel(answer: ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"])
        await #expect(throws: AdminAPIError.invalidResponse(host: "h3", reason: "the connection closed before the HTTP response was complete")) {
            _ = try await AdminAPIClient(tunnels: cut, token: Secret("t"), hostLabel: "h3").status()
        }
        let silent = ScriptedTunnel(answer: [])
        await #expect(throws: AdminAPIError.self) { _ = try await AdminAPIClient(tunnels: silent, token: Secret("t"), hostLabel: "h4").status() }
    }
}
