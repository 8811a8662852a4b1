import Crypto
import Foundation
import MaiCore

/// maictl's private state: per-instance secrets (the fleet token), and what other parts keep there
/// (pinned host keys, the ledger). The directory is 0700 and secret files 0600, both checked on
/// every use; a file or directory that others can read is refused with the `chmod` to run.
///
/// Layout: `<state>/instances/<slug>/<name>` (e.g. `instances/acme/fleet-token`).
public struct StateDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// Uses `url` as the state directory.
    public init(url: URL) {
        self.url = url
    }

    /// `MAICTL_STATE_DIR`, else `$XDG_STATE_HOME/maictl`, else `~/.local/state/maictl`.
    public static func location(environment: [String: String]) throws(StateError) -> URL {
        if let path = environment["MAICTL_STATE_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        if let path = environment["XDG_STATE_HOME"], path.hasPrefix("/") {
            return URL(fileURLWithPath: path, isDirectory: true).appendingPathComponent("maictl", isDirectory: true)
        }
        guard let home = environment["HOME"], !home.isEmpty else { throw .noLocation }
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".local/state/maictl", isDirectory: true)
    }

    /// The state directory for this environment.
    public init(environment: [String: String]) throws(StateError) {
        self.init(url: try Self.location(environment: environment))
    }

    /// Creates the directory (0700) if missing, then checks its mode and owner.
    public func prepare() throws(StateError) {
        try ensureDirectory(url)
    }

    /// The directory of one instance's state.
    public func instanceDirectory(_ slug: String) throws(StateError) -> URL {
        guard FieldRules.isSlug(slug) else { throw .invalidName(slug) }
        return url.appendingPathComponent("instances", isDirectory: true).appendingPathComponent(slug, isDirectory: true)
    }

    /// Reads the secret `name` of instance `slug`; `nil` when it has none yet.
    /// Refuses a file or directory that other users can read.
    public func readSecret(_ name: String, instance slug: String) throws(StateError) -> Secret? {
        let file = try secretURL(name, instance: slug)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        try checkDirectory(url)
        try checkDirectory(url.appendingPathComponent("instances", isDirectory: true))
        try checkDirectory(file.deletingLastPathComponent())
        try checkFile(file)
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            throw .io(path: file.path, reason: "cannot be read")
        }
        return Secret(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Writes the secret `name` of instance `slug` atomically with mode 0600.
    public func writeSecret(_ secret: Secret, name: String, instance slug: String) throws(StateError) {
        let file = try secretURL(name, instance: slug)
        try ensureDirectory(url)
        try ensureDirectory(url.appendingPathComponent("instances", isDirectory: true))
        try ensureDirectory(file.deletingLastPathComponent())
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(name).\(UUID().uuidString)")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io(path: temporary.path, reason: Self.errnoText()) }
        let bytes = Array((secret.value + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0, rename(temporary.path, file.path) == 0 else {
            let reason = Self.errnoText()
            unlink(temporary.path)
            throw .io(path: file.path, reason: reason)
        }
    }

    /// The fleet token of instance `slug`: read from the state directory, or generated (32 random
    /// bytes) and stored on first use.
    public func fleetToken(for slug: String) throws(StateError) -> Secret {
        if let token = try readSecret(Self.fleetTokenName, instance: slug) { return token }
        let token = Self.generateToken()
        try writeSecret(token, name: Self.fleetTokenName, instance: slug)
        return token
    }

    /// File name of the fleet token.
    public static let fleetTokenName = "fleet-token"

    /// 32 bytes from the system's cryptographic generator, as 64 hex digits.
    public static func generateToken(byteCount: Int = 32) -> Secret {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: max(32, byteCount) * 8))
        let hex = key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
        return Secret(hex)
    }

    private func secretURL(_ name: String, instance slug: String) throws(StateError) -> URL {
        guard !name.isEmpty, name.count <= 64,
              name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else { throw .invalidName(name) }
        return try instanceDirectory(slug).appendingPathComponent(name)
    }

    /// Creates `directory` with mode 0700 when missing (never loosening an existing one), then checks it.
    private func ensureDirectory(_ directory: URL) throws(StateError) {
        if !FileManager.default.fileExists(atPath: directory.path) {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .io(path: directory.path, reason: "cannot create: \(error.localizedDescription)")
            }
        }
        try checkDirectory(directory)
    }

    /// Refuses a directory that is not ours or that group or others may read, write or enter.
    public func checkDirectory(_ directory: URL) throws(StateError) {
        let info = try Self.status(directory.path)
        guard info.st_mode & 0o170000 == 0o040000 else { throw .notADirectory(path: directory.path) }
        try Self.checkOwner(info, path: directory.path)
        if UInt32(info.st_mode) & 0o077 != 0 {
            throw .directoryTooOpen(path: directory.path, mode: UInt32(info.st_mode))
        }
    }

    /// Refuses a secret file that is not ours or that group or others may read or write.
    public func checkFile(_ file: URL) throws(StateError) {
        let info = try Self.status(file.path)
        try Self.checkOwner(info, path: file.path)
        if UInt32(info.st_mode) & 0o077 != 0 {
            throw .fileTooOpen(path: file.path, mode: UInt32(info.st_mode))
        }
    }

    private static func status(_ path: String) throws(StateError) -> stat {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .io(path: path, reason: errnoText()) }
        return info
    }

    private static func checkOwner(_ info: stat, path: String) throws(StateError) {
        let me = geteuid()
        guard info.st_uid == me else {
            throw .wrongOwner(path: path, owner: UInt32(info.st_uid), expected: UInt32(me))
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
