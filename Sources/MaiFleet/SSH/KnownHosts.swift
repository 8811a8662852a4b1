import Foundation

/// maictl's own known_hosts: one pinned host key per **server id** (not per address — Hetzner
/// reuses IP addresses, and a new server on an old address must not inherit trust).
///
/// File format, one entry a line (`#` comments and blank lines ignored):
/// `<server-id> <key-type> <base64-key> <SHA256:fingerprint>`. The fingerprint is redundant on
/// purpose — people compare it with the provider's console — and is checked on load.
public struct KnownHosts: Sendable, Equatable {
    /// Server id → pinned key.
    public private(set) var entries: [String: HostKey]

    public init(entries: [String: HostKey] = [:]) {
        self.entries = entries
    }

    /// A line that could not be read.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "known_hosts line \(line): \(reason)" }
    }

    /// Parses the file's text; any malformed line is an error (a silently skipped pin would be a
    /// silently lost pin).
    public init(parsing text: String) throws {
        var entries: [String: HostKey] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count == 4 else {
                throw ParseError(line: index + 1, reason: "expected '<server-id> <key-type> <base64-key> <fingerprint>'")
            }
            guard let key = HostKey(type: fields[1], base64: fields[2]) else {
                throw ParseError(line: index + 1, reason: "the key is not a valid \(fields[1]) key")
            }
            guard key.fingerprint == fields[3] else {
                throw ParseError(line: index + 1, reason: "the fingerprint does not match the key")
            }
            guard entries[fields[0]] == nil else {
                throw ParseError(line: index + 1, reason: "server \(fields[0]) is listed twice")
            }
            entries[fields[0]] = key
        }
        self.entries = entries
    }

    /// The file's text, sorted by server id so rewrites give stable diffs.
    public var serialized: String {
        var text = "# maictl known hosts: <server-id> <key-type> <base64-key> <fingerprint>\n"
        for id in entries.keys.sorted() {
            let key = entries[id]!
            text += "\(id) \(key.type) \(key.base64) \(key.fingerprint)\n"
        }
        return text
    }

    /// The key pinned for `serverID`.
    public func key(for serverID: String) -> HostKey? { entries[serverID] }

    /// Pins `key` for `serverID`, replacing any earlier pin.
    public mutating func pin(serverID: String, key: HostKey) {
        precondition(Self.isValidServerID(serverID), "server id must be non-empty without whitespace")
        entries[serverID] = key
    }

    /// Forgets `serverID`'s key; returns whether there was one.
    @discardableResult
    public mutating func forget(serverID: String) -> Bool {
        entries.removeValue(forKey: serverID) != nil
    }

    /// Server ids are one word: no whitespace, not a comment.
    public static func isValidServerID(_ id: String) -> Bool {
        !id.isEmpty && !id.hasPrefix("#") && !id.contains(where: \.isWhitespace)
    }
}
