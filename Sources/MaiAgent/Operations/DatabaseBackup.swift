import Crypto
import Foundation
import GRDB

/// A consistent snapshot of the live database, taken while the agent serves: `VACUUM INTO` a
/// temporary file next to the destination (one read transaction, so writers are not blocked and
/// the copy is a single point in time), `PRAGMA integrity_check` on the copy, fsync, then an
/// atomic link into place that never replaces a file. Used by `GET /admin/v1/backup` and
/// `mai-agent backup` (maictl's pre-deploy backup).
public enum DatabaseBackup {
    public struct Result: Sendable {
        /// The snapshot file.
        public let path: String
        public let bytes: Int64
        /// Lowercase hex SHA-256 of the file.
        public let sha256Hex: String
    }

    /// Writes a snapshot of `database` to `path` (which must not exist yet) and returns its size and hash.
    public static func snapshot(of database: some GRDB.DatabaseReader, to path: String) throws -> Result {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BackupFailure(description: "\(path) already exists; choose a new file name")
        }
        let temporary = (directory as NSString).appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) }
        }
        // VACUUM cannot run inside a transaction; unsafeRead gives a connection without one, and
        // VACUUM INTO reads the database in a single read transaction of its own.
        do {
            try database.unsafeRead { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [temporary])
            }
        } catch {
            // A reader that may not create files: a short-lived connection of our own does the same.
            try? FileManager.default.removeItem(atPath: temporary)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: database.path, configuration: configuration)
            try queue.inDatabase { db in try db.execute(sql: "VACUUM INTO ?", arguments: [temporary]) }
            try queue.close()
        }
        let checker = try DatabaseQueue(path: temporary, configuration: readOnlyConfiguration)
        let check = try checker.read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        // Reading leaves an empty -wal and a -shm beside the copy; they are not part of it.
        try checker.close()
        try? FileManager.default.removeItem(atPath: temporary + "-shm")
        try? FileManager.default.removeItem(atPath: temporary + "-wal")
        guard check == ["ok"] else {
            throw BackupFailure(description: "the snapshot failed its integrity check: \(check.prefix(3).joined(separator: "; "))")
        }
        try syncFile(temporary)
        // link(2), then the temporary name goes (defer): an atomic "rename unless the destination
        // exists", so an existing backup is never replaced (rename(2) would silently overwrite it).
        guard link(temporary, path) == 0 else {
            let reason = errno == EEXIST ? "it already exists; choose a new file name" : String(cString: strerror(errno))
            throw BackupFailure(description: "cannot move the snapshot to \(path): \(reason)")
        }
        try? syncFile(directory)
        let (bytes, digest) = try sha256(ofFile: path)
        return Result(path: path, bytes: bytes, sha256Hex: digest)
    }

    private static var readOnlyConfiguration: Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        return configuration
    }

    private static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw BackupFailure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw BackupFailure(description: "cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    /// Size and lowercase hex SHA-256 of a file, read in 1 MiB pieces.
    private static func sha256(ofFile path: String) throws -> (bytes: Int64, hex: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BackupFailure(description: "cannot read \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            bytes += Int64(chunk.count)
        }
        return (bytes, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }
}

/// Why a snapshot could not be made.
private struct BackupFailure: Error, CustomStringConvertible {
    let description: String
}
