import Foundation

/// One mutating step, appended as a JSON line to the host's `/srv/mai/audit.log` and to the
/// operator's `<state>/audit.log` (`maictl audit`).
public struct AuditEntry: Sendable, Hashable, Codable {
    public var time: String
    public var actor: String
    public var instance: String
    /// `lock`, `backup`, `image`, `env`, `start`, `switch`, `stop`, `deploy`, `rollback`, `unlock`, `prune`, …
    public var action: String
    public var version: String?
    /// `ok` or `failed`.
    public var outcome: String
    public var detail: String

    public init(time: String, actor: String, instance: String, action: String, version: String?, outcome: String, detail: String) {
        self.time = time
        self.actor = actor
        self.instance = instance
        self.action = action
        self.version = version
        self.outcome = outcome
        self.detail = detail
    }

    /// The JSON line (sorted keys, no trailing newline inside, one `\n` at the end).
    public var line: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    /// RFC 3339 UTC with seconds.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// `20260102T030405Z`, for file names.
    public static func compactTimestamp(_ date: Date) -> String {
        timestamp(date).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
    }
}

/// The operator's local audit log: JSON lines, appended with O_APPEND (0600).
public struct LocalAuditLog: Sendable {
    public let path: String

    public init(stateDirectory: URL) {
        self.path = stateDirectory.appendingPathComponent("audit.log").path
    }

    public func append(_ entry: AuditEntry) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array(entry.line.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Every entry, oldest first; unreadable lines are skipped.
    public func entries() -> [AuditEntry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? decoder.decode(AuditEntry.self, from: Data($0.utf8)) }
    }
}
