import Foundation

/// An incremental HTTP/1.1 response parser: status line, headers, then a body delimited by
/// `Content-Length`, `Transfer-Encoding: chunked`, or the end of the connection. Bytes may
/// arrive split anywhere. Interim 1xx responses are skipped; responses to HEAD and 204/304 have
/// no body. Limits keep a confused peer from exhausting memory.
public struct HTTPResponseParser: Sendable {
    /// Why a response could not be read.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformedStatusLine(String)
        case malformedHeader(String)
        case invalidContentLength(String)
        case malformedChunk(String)
        case headTooLarge
        case bodyTooLarge
        case truncated

        public var description: String {
            switch self {
            case .malformedStatusLine(let line): "malformed HTTP status line: \(line.prefix(80))"
            case .malformedHeader(let line): "malformed HTTP header: \(line.prefix(80))"
            case .invalidContentLength(let value): "invalid Content-Length: \(value.prefix(40))"
            case .malformedChunk(let line): "malformed chunk: \(line.prefix(40))"
            case .headTooLarge: "HTTP response head too large"
            case .bodyTooLarge: "HTTP response body too large"
            case .truncated: "the connection closed before the HTTP response was complete"
            }
        }
    }

    private enum State: Sendable {
        case head, fixed(remaining: Int), chunkSize, chunkData(remaining: Int), chunkEnd, trailers, untilClose, done
    }

    private let maxHeadBytes: Int
    private let maxBodyBytes: Int
    private let bodiless: Bool
    private var buffer: [UInt8] = []
    private var state = State.head
    private var status = 0
    private var reason = ""
    private var headers: [HTTPHeader] = []
    private var body: [UInt8] = []

    /// A parser for the response to a `requestMethod` request.
    public init(requestMethod: String = "GET", maxHeadBytes: Int = 64 * 1024, maxBodyBytes: Int = 32 * 1024 * 1024) {
        self.bodiless = requestMethod == "HEAD"
        self.maxHeadBytes = maxHeadBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// Adds bytes; returns the response once it is complete (bytes after it are ignored).
    public mutating func feed(_ data: some Sequence<UInt8>) throws -> HTTPResponse? {
        buffer.append(contentsOf: data)
        try advance()
        return response
    }

    /// The peer closed: the response, if a close ends it; otherwise `.truncated`.
    public mutating func finish() throws -> HTTPResponse {
        if case .untilClose = state {
            body.append(contentsOf: buffer)
            buffer.removeAll()
            guard body.count <= maxBodyBytes else { throw ParseError.bodyTooLarge }
            state = .done
        }
        guard let response else { throw ParseError.truncated }
        return response
    }

    private var response: HTTPResponse? {
        guard case .done = state else { return nil }
        return HTTPResponse(status: status, reason: reason, headers: headers, body: Data(body))
    }

    private mutating func advance() throws {
        while true {
            switch state {
            case .head:
                guard let end = find([13, 10, 13, 10]) else {
                    if buffer.count > maxHeadBytes { throw ParseError.headTooLarge }
                    return
                }
                guard end <= maxHeadBytes else { throw ParseError.headTooLarge }
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                try parseHead(head)
                if (100..<200).contains(status) { headers = []; continue }  // interim: the real one follows
                state = try bodyState()
            case .fixed(let remaining):
                let count = min(remaining, buffer.count)
                body.append(contentsOf: buffer[0..<count])
                buffer.removeFirst(count)
                if count < remaining { state = .fixed(remaining: remaining - count); return }
                state = .done
            case .chunkSize:
                guard let end = find([13, 10]) else {
                    if buffer.count > 1024 { throw ParseError.malformedChunk("size line too long") }
                    return
                }
                let line = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 2)
                let digits = line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
                    .trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
                guard !digits.isEmpty, digits.count <= 15, digits.allSatisfy(\.isHexDigit), let size = Int(digits, radix: 16) else {
                    throw ParseError.malformedChunk(line)
                }
                guard body.count + size <= maxBodyBytes else { throw ParseError.bodyTooLarge }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let count = min(remaining, buffer.count)
                body.append(contentsOf: buffer[0..<count])
                buffer.removeFirst(count)
                if count < remaining { state = .chunkData(remaining: remaining - count); return }
                state = .chunkEnd
            case .chunkEnd:
                guard buffer.count >= 2 else { return }
                guard buffer[0] == 13, buffer[1] == 10 else { throw ParseError.malformedChunk("missing CRLF after chunk data") }
                buffer.removeFirst(2)
                state = .chunkSize
            case .trailers:
                guard let end = find([13, 10]) else {
                    if buffer.count > maxHeadBytes { throw ParseError.headTooLarge }
                    return
                }
                buffer.removeFirst(end + 2)
                if end == 0 { state = .done }  // trailer fields are read and dropped
            case .untilClose:
                body.append(contentsOf: buffer)
                buffer.removeAll()
                guard body.count <= maxBodyBytes else { throw ParseError.bodyTooLarge }
                return
            case .done:
                return
            }
        }
    }

    private mutating func parseHead(_ head: String) throws {
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0",
              parts[1].count == 3, parts[1].allSatisfy(\.isASCIIDigit), let code = Int(parts[1]), code >= 100 else {
            throw ParseError.malformedStatusLine(statusLine)
        }
        status = code
        reason = parts.count == 3 ? String(parts[2]) : ""
        headers = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw ParseError.malformedHeader(line) }
            let name = String(line[..<colon])
            // Whitespace before the colon or a folded line is refused (RFC 9112 §5.1, §5.2).
            guard name.utf8.allSatisfy(HTTPRequest.isTokenByte) else { throw ParseError.malformedHeader(line) }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            headers.append(HTTPHeader(name, value))
        }
    }

    private func bodyState() throws -> State {
        if bodiless || status == 204 || status == 304 { return .done }
        let codings = headers.filter { $0.name.lowercased() == "transfer-encoding" }
            .flatMap { $0.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
        if !codings.isEmpty { return codings.last == "chunked" ? .chunkSize : .untilClose }
        let lengths = Set(headers.filter { $0.name.lowercased() == "content-length" }
            .flatMap { $0.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
        guard let length = lengths.first else { return .untilClose }
        guard lengths.count == 1, !length.isEmpty, length.count <= 15, length.allSatisfy(\.isASCIIDigit), let count = Int(length) else {
            throw ParseError.invalidContentLength(lengths.sorted().joined(separator: ","))
        }
        guard count <= maxBodyBytes else { throw ParseError.bodyTooLarge }
        return count == 0 ? .done : .fixed(remaining: count)
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for start in 0...(buffer.count - pattern.count) where buffer[start] == pattern[0] {
            if buffer[start..<(start + pattern.count)].elementsEqual(pattern) { return start }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
