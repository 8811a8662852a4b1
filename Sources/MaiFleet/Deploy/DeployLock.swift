import Foundation

/// Who holds a deploy lock, since when, and why: the lock directory's `info` file.
public struct LockHolder: Sendable, Hashable, Codable, CustomStringConvertible {
    public var holder: String
    public var since: String
    public var message: String

    public init(holder: String, since: String, message: String) {
        self.holder = holder
        self.since = since
        self.message = message
    }

    /// `user@machine (pid N)`.
    public static func current(message: String, now: Date = Date()) -> LockHolder {
        let user = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "uid \(getuid())"
        return LockHolder(holder: "\(user)@\(ProcessInfo.processInfo.hostName) (pid \(getpid()))",
                          since: AuditEntry.timestamp(now), message: message)
    }

    /// The info file's text: `holder=…`, `since=…`, `message=…` lines (newlines in values become spaces).
    public var fileText: String {
        func clean(_ value: String) -> String { value.replacingOccurrences(of: "\n", with: " ") }
        return "holder=\(clean(holder))\nsince=\(clean(since))\nmessage=\(clean(message))\n"
    }

    /// Parses `fileText`; unknown lines are ignored, missing fields are "unknown".
    public init(fileText: String) {
        var fields: [String: String] = [:]
        for line in fileText.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        self.init(holder: fields["holder"] ?? "unknown", since: fields["since"] ?? "unknown", message: fields["message"] ?? "")
    }

    public var description: String {
        "held by \(holder) since \(since)" + (message.isEmpty ? "" : " (\(message))")
    }
}

extension EngineCommands {
    /// Takes the host's deploy lock: `mkdir` is atomic, so of two deploys exactly one succeeds;
    /// the holder's info (stdin) is written inside. Exit status 3 when the lock is already held,
    /// with the current holder's info on stdout.
    public func acquireLock() -> RemoteCommand {
        let script = #"umask 077; mkdir -p "${1%/*}" || exit 1; if mkdir "$1" 2>/dev/null; then cat > "$1/info"; elif [ -d "$1" ]; then cat "$1/info" 2>/dev/null; exit 3; else echo "cannot create $1" >&2; exit 1; fi"#
        return RemoteCommand(["sh", "-c", script, "maictl-lock", layout.lockDirectory])
    }

    /// The lock's info; exit status 1 when nobody holds it.
    public func lockStatus() -> RemoteCommand {
        let script = #"[ -d "$1" ] || exit 1; cat "$1/info" 2>/dev/null; exit 0"#
        return RemoteCommand(["sh", "-c", script, "maictl-lock-status", layout.lockDirectory])
    }

    /// Releases the lock (only the info file and the directory; nothing else is removed).
    public func releaseLock() -> RemoteCommand {
        RemoteCommand(["sh", "-c", #"rm -f "$1/info" && rmdir "$1" 2>/dev/null || [ ! -e "$1" ]"#, "maictl-unlock", layout.lockDirectory])
    }
}

/// The operator machine's fleet lock: one deploy or rollback at a time from this state directory
/// (`flock` on `<state>/deploy.lock`, released by the kernel when maictl exits, even on a crash).
public final class LocalFleetLock: @unchecked Sendable {
    public let path: String
    private var descriptor: Int32 = -1

    public init(stateDirectory: URL) {
        self.path = stateDirectory.appendingPathComponent("deploy.lock").path
    }

    /// Takes the lock, waiting up to `wait` seconds; returns the holder's info when it stays taken.
    public func acquire(_ holder: LockHolder, wait: Double) -> LockHolder? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return LockHolder(holder: "unknown", since: "", message: "cannot open \(path): \(String(cString: strerror(errno)))") }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if Date() >= deadline {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                close(fd)
                return LockHolder(fileText: text)
            }
            usleep(200_000)
        }
        descriptor = fd
        ftruncate(fd, 0)
        let bytes = Array(holder.fileText.utf8)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return nil
    }

    /// The holder's info when another process holds the lock; `nil` when it is free.
    public func currentHolder() -> LockHolder? {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return LockHolder(fileText: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }

    public func release() {
        guard descriptor >= 0 else { return }
        ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
