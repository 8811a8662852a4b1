import Crypto
import Foundation
import GRDB

/// A consistent copy of the agent's database, taken while it serves.
///
/// `VACUUM INTO` writes a snapshot (one read transaction's view) to a temporary file next to the
/// destination; the copy must pass `PRAGMA integrity_check`, is fsync-ed and only then renamed into
/// place, so a backup file that exists is always complete. Used by `mai-agent backup` (maictl's
/// pre-deploy backup) and by the admin API.
public enum DatabaseBackup {
    /// What was written.
    public struct Result: Sendable {
        /// The backup file.
        public let path: String
        /// Its size.
        public let bytes: Int64
        /// SHA-256 of the file, lower-case hex.
        public let sha256Hex: String
    }

    /// Why a snapshot was refused.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Snapshots `database` into `path`, which must not exist yet (an existing file is never
    /// replaced). Throws when the copy fails its integrity check; the temporary file is removed
    /// on every outcome.
    public static func snapshot(of database: some GRDB.DatabaseReader, to path: String) throws -> Result {
        let destination = URL(fileURLWithPath: path)
        let directory = destination.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).partial").path
        defer { unlink(temporary) }
        // VACUUM cannot run inside a transaction; `unsafeRead` gives a connection without one.
        try database.unsafeRead { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [temporary])
        }
        var configuration = Configuration()
        configuration.readonly = true
        let check = try DatabaseQueue(path: temporary, configuration: configuration).read { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        guard check == ["ok"] else {
            throw Failure(description: "the copy failed PRAGMA integrity_check: \(check.prefix(3).joined(separator: "; "))")
        }
        try fsyncPath(temporary)
        // link(2) then unlink: an atomic "rename unless the destination exists", so an existing
        // backup is never replaced (rename(2) would silently overwrite it).
        guard link(temporary, path) == 0 else {
            let reason = errno == EEXIST ? "it already exists" : String(cString: strerror(errno))
            throw Failure(description: "cannot move the backup to \(path): \(reason)")
        }
        try? fsyncPath(directory.path)
        let (bytes, digest) = try hashFile(path)
        return Result(path: path, bytes: bytes, sha256Hex: digest)
    }

    private static func fsyncPath(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }

    private static func hashFile(_ path: String) throws -> (Int64, String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            total += Int64(chunk.count)
        }
        return (total, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
