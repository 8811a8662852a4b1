import Foundation
import MaiCore

/// Bodies too large to hold in memory: a database snapshot is streamed from the tunnel straight to
/// a file (`download`), or from a file into the tunnel (`upload`). Each read has its own idle
/// deadline (`idleTimeout`), so a large transfer may take as long as it needs while it progresses.
extension AdminAPIClient {
    /// The head of a streamed response.
    public struct StreamedResponse: Sendable {
        public var status: Int
        public var headers: [HTTPHeader]
        public var bytes: Int64

        public subscript(header name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    /// `GET path`, writing a 200 answer's body to `file` (created 0600, replaced if present).
    /// Non-2xx answers throw with the agent's `detail`; a body shorter than its `Content-Length` throws.
    /// `headTimeout` covers the time the agent needs before it answers (it snapshots first).
    public func download(_ path: String, to file: URL, headTimeout: Duration = .seconds(600),
                         idleTimeout: Duration = .seconds(120)) async throws -> StreamedResponse {
        let head = try headBytes(method: "GET", path: path, extraHeaders: [HTTPHeader("Accept", "*/*")], contentLength: nil)
        let tunnel = try await tunnels.openDirectTCPIP(host: "127.0.0.1", port: adminPort)
        do {
            try await tunnel.write(head)
            var reader = HeadReader()
            var leftover = Data()
            var parsed: (status: Int, headers: [HTTPHeader])?
            while parsed == nil {
                guard let data = try await tunnel.read(timeout: headTimeout) else {
                    throw AdminAPIError.invalidResponse(host: hostLabel, reason: "the connection closed before the answer's headers")
                }
                if let head = try reader.feed(data, host: hostLabel) {
                    parsed = (head.0, head.1)
                    leftover = head.2
                }
            }
            let (status, headers) = parsed!
            let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int64($0.value) }
            guard (200..<300).contains(status) else {
                var body = leftover
                while body.count < 64 * 1024, length.map({ Int64(body.count) < $0 }) ?? true,
                      let data = try await tunnel.read(timeout: timeout) { body += data }
                await tunnel.close()
                try check(HTTPResponse(status: status, reason: "", headers: headers, body: body))
                throw AdminAPIError.http(host: hostLabel, status: status, detail: "unexpected answer")
            }
            guard let length else {
                throw AdminAPIError.invalidResponse(host: hostLabel, reason: "the snapshot came without a Content-Length")
            }
            try? FileManager.default.removeItem(at: file)
            guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: file.path) else {
                throw AdminAPIError.invalidResponse(host: hostLabel, reason: "cannot write \(file.path)")
            }
            defer { try? handle.close() }
            var written: Int64 = 0
            if !leftover.isEmpty {
                let piece = leftover.prefix(Int(min(Int64(leftover.count), length)))
                try handle.write(contentsOf: piece)
                written += Int64(piece.count)
            }
            while written < length {
                guard let data = try await tunnel.read(timeout: idleTimeout) else {
                    throw AdminAPIError.invalidResponse(host: hostLabel, reason: "the transfer stopped after \(written) of \(length) bytes; try again")
                }
                let piece = data.prefix(Int(min(Int64(data.count), length - written)))
                try handle.write(contentsOf: piece)
                written += Int64(piece.count)
            }
            try handle.synchronize()
            await tunnel.close()
            return StreamedResponse(status: status, headers: headers, bytes: written)
        } catch {
            await tunnel.close()
            throw error
        }
    }

    /// `method path` with `file` as the body (sent in 256 KiB pieces), then the JSON answer.
    public func upload(_ method: String, _ path: String, file: URL, contentType: String, headers: [HTTPHeader],
                       responseTimeout: Duration = .seconds(300)) async throws -> HTTPResponse {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int64,
              let handle = FileHandle(forReadingAtPath: file.path) else {
            throw AdminAPIError.invalidResponse(host: hostLabel, reason: "cannot read \(file.path)")
        }
        defer { try? handle.close() }
        let head = try headBytes(method: method, path: path, extraHeaders: headers + [HTTPHeader("Content-Type", contentType)], contentLength: size)
        let tunnel = try await tunnels.openDirectTCPIP(host: "127.0.0.1", port: adminPort)
        do {
            try await tunnel.write(head)
            while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                try await tunnel.write(chunk)
            }
            var parser = HTTPResponseParser(requestMethod: method)
            let deadline = ContinuousClock.now + responseTimeout
            while true {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else {
                    throw AdminAPIError.invalidResponse(host: hostLabel, reason: "no answer within \(responseTimeout) after the upload")
                }
                guard let data = try await tunnel.read(timeout: remaining) else {
                    let response = try parser.finish()
                    await tunnel.close()
                    return response
                }
                if let response = try parser.feed(data) {
                    await tunnel.close()
                    return response
                }
            }
        } catch let error as HTTPResponseParser.ParseError {
            await tunnel.close()
            throw AdminAPIError.invalidResponse(host: hostLabel, reason: error.description)
        } catch {
            await tunnel.close()
            throw error
        }
    }

    /// Request line and headers (with the fleet token), for a body sent separately.
    func headBytes(method: String, path: String, extraHeaders: [HTTPHeader], contentLength: Int64?) throws -> Data {
        var headers = extraHeaders
        headers.append(HTTPHeader("Authorization", "Bearer \(token.value)"))
        // Validate names, values and target the same way as every other request.
        var text = String(decoding: try HTTPRequest(method: method, path: path, headers: headers).serialized(host: "127.0.0.1:\(adminPort)"), as: UTF8.self)
        // serialized() ends with Content-Length (for PUT: 0) and Connection: close; set the real length.
        text = text.components(separatedBy: "\r\n").filter { !$0.lowercased().hasPrefix("content-length:") && !$0.isEmpty }.joined(separator: "\r\n")
        if let contentLength { text += "\r\nContent-Length: \(contentLength)" }
        return Data((text + "\r\n\r\n").utf8)
    }
}

/// Collects bytes until the end of an HTTP response head, skipping interim 1xx answers.
struct HeadReader {
    private var buffer = Data()

    /// The status, headers and the body bytes that arrived with the head, once it is complete.
    mutating func feed(_ data: Data, host: String) throws -> (Int, [HTTPHeader], Data)? {
        buffer += data
        while let end = buffer.range(of: Data("\r\n\r\n".utf8)) {
            let head = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
            let rest = Data(buffer[end.upperBound...])
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
            guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
                throw AdminAPIError.invalidResponse(host: host, reason: "malformed HTTP status line")
            }
            if (100..<200).contains(status) {
                buffer = rest
                continue
            }
            let headers = lines.compactMap { line -> HTTPHeader? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return HTTPHeader(String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            return (status, headers, rest)
        }
        guard buffer.count < 64 * 1024 else { throw AdminAPIError.invalidResponse(host: host, reason: "HTTP response head too large") }
        return nil
    }
}
