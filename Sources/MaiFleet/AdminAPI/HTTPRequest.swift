import Foundation

/// One HTTP/1.1 request to the admin API, written by hand because it travels over an SSH channel
/// rather than a socket. Always `Connection: close`: one request per tunnel.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// Origin-form target: `/admin/v1/usage?from=…`.
    public var path: String
    /// Header fields in order (`Host`, `Content-Length` and `Connection` are added by `serialized`).
    public var headers: [HTTPHeader]
    public var body: Data

    public init(method: String, path: String, headers: [HTTPHeader] = [], body: Data = Data()) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// A field that would break the message (CR, LF, NUL, a space in the target, a bad name).
    public struct InvalidRequest: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { "invalid HTTP request: \(reason)" }
    }

    /// The bytes on the wire for `host` (the `Host` header). Refuses anything that could smuggle a
    /// second request: control characters in the target or header values, non-token names.
    public func serialized(host: String) throws -> Data {
        guard !method.isEmpty, method.utf8.allSatisfy(Self.isTokenByte) else { throw InvalidRequest(reason: "method \(method)") }
        guard path.hasPrefix("/"), path.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw InvalidRequest(reason: "target must start with / and contain no spaces or control characters")
        }
        var all: [HTTPHeader] = [HTTPHeader("Host", host)]
        all += headers.filter { !["host", "content-length", "connection", "transfer-encoding"].contains($0.name.lowercased()) }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { all.append(HTTPHeader("Content-Length", String(body.count))) }
        all.append(HTTPHeader("Connection", "close"))
        var text = "\(method) \(path) HTTP/1.1\r\n"
        for header in all {
            let (name, value) = (header.name, header.value)
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else { throw InvalidRequest(reason: "header name \(name)") }
            guard value.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw InvalidRequest(reason: "header \(name) contains a control character")
            }
            text += "\(name): \(value)\r\n"
        }
        text += "\r\n"
        return Data(text.utf8) + body
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
