import Foundation

/// Why the state directory cannot be used; each message says what to run.
public enum StateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No `MAICTL_STATE_DIR`, `XDG_STATE_HOME` or `HOME` to place it in.
    case noLocation
    /// A directory others can read or enter.
    case directoryTooOpen(path: String, mode: UInt32)
    /// A secret file others can read.
    case fileTooOpen(path: String, mode: UInt32)
    /// Owned by another user.
    case wrongOwner(path: String, owner: UInt32, expected: UInt32)
    /// A path that should be a directory is something else.
    case notADirectory(path: String)
    /// A name that cannot be a file name in the state directory.
    case invalidName(String)
    /// The operating system refused.
    case io(path: String, reason: String)

    /// What happened and what to do.
    public var description: String {
        switch self {
        case .noLocation:
            "no place for the state directory — set MAICTL_STATE_DIR (or HOME)"
        case .directoryTooOpen(let path, let mode):
            "state directory \(path) is open to other users (mode \(Self.octal(mode))) — run: chmod 700 \(ShellQuote.quote(path))"
        case .fileTooOpen(let path, let mode):
            "secret file \(path) is readable by other users (mode \(Self.octal(mode))) — run: chmod 600 \(ShellQuote.quote(path)) (and rotate the secret if others may have read it)"
        case .wrongOwner(let path, let owner, let expected):
            "\(path) belongs to user id \(owner), not to you (\(expected)) — run maictl as its owner, or: chown \(expected) \(ShellQuote.quote(path))"
        case .notADirectory(let path):
            "\(path) is not a directory — move it away or set MAICTL_STATE_DIR to another place"
        case .invalidName(let name):
            "\"\(name)\" cannot name a state file — use lower-case letters, digits and dashes"
        case .io(let path, let reason):
            "\(path): \(reason)"
        }
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Quotes a path for a shell command the operator will paste.
enum ShellQuote {
    static func quote(_ text: String) -> String {
        let safe = text.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || "/._-+:@%,".unicodeScalars.contains(scalar)
        }
        if safe, !text.isEmpty { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
