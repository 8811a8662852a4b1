import Foundation
import Synchronization

/// `KnownHosts` kept in `<state dir>/known_hosts` (file 0600, directory 0700). Reads and writes are
/// serialised within the process; each change is written to a temporary file and renamed.
public final class KnownHostsFile: Sendable {
    /// The file's path.
    public let path: String
    private let lock = Mutex(())

    /// The known_hosts file in `stateDirectory` (created 0700 if missing).
    public init(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        self.path = (stateDirectory as NSString).appendingPathComponent("known_hosts")
    }

    /// The current pins (empty when the file does not exist yet).
    public func load() throws -> KnownHosts {
        try lock.withLock { _ in try read() }
    }

    /// The key pinned for `serverID`.
    public func key(for serverID: String) throws -> HostKey? {
        try load().key(for: serverID)
    }

    /// Pins `publicKey` for `serverID` (from provisioning, where the key was generated and injected
    /// through cloud-init — so there is no trust on first use).
    public func pin(serverID: String, publicKey: HostKey) throws {
        try update { $0.pin(serverID: serverID, key: publicKey) }
    }

    /// Forgets `serverID`'s key (`maictl hosts forget`); returns whether there was one.
    @discardableResult
    public func forget(serverID: String) throws -> Bool {
        var removed = false
        try update { removed = $0.forget(serverID: serverID) }
        return removed
    }

    private func update(_ change: (inout KnownHosts) -> Void) throws {
        try lock.withLock { _ in
            var hosts = try read()
            change(&hosts)
            try write(hosts)
        }
    }

    private func read() throws -> KnownHosts {
        guard FileManager.default.fileExists(atPath: path) else { return KnownHosts() }
        do {
            return try KnownHosts(parsing: String(contentsOfFile: path, encoding: .utf8))
        } catch let error as KnownHosts.ParseError {
            throw SSHError.knownHostsUnreadable(path: path, reason: error.description)
        }
    }

    private func write(_ hosts: KnownHosts) throws {
        let temporary = path + ".tmp.\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(hosts.serialized.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw SSHError.knownHostsUnreadable(path: temporary, reason: "could not write it (check the state directory's permissions)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw SSHError.knownHostsUnreadable(path: path, reason: "could not replace it: \(reason)")
        }
    }
}
