import Crypto
import Foundation
import GRDB
import Logging

/// Restoring a snapshot, in two halves. While the agent runs, `stage` checks an uploaded snapshot
/// (checksum, `PRAGMA integrity_check`, schema not newer than this agent's) and keeps it as
/// `DATA_DIR/restore-pending.db`; the agent then stops. At the next start, before the database
/// is opened, `applyPending` keeps the current database as `webui.db.before-restore-<time>` and
/// moves the staged one in; the normal migration follows. A supervisor (the container's restart
/// policy, systemd, the test fleet's loop) starts the agent again.
public enum DatabaseRestore {
    public static let pendingFileName = "restore-pending.db"

    /// Why a snapshot cannot be restored; `detail` says what to do.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let detail: String
        public var description: String { detail }
    }

    /// What `stage` found.
    public struct Staged: Sendable {
        public let path: String
        public let bytes: Int64
        public let sha256Hex: String
        /// The last migration of the snapshot.
        public let schema: String
    }

    public static func pendingPath(dataDirectory: String) -> String {
        (dataDirectory as NSString).appendingPathComponent(pendingFileName)
    }

    /// Checks `upload` (a complete snapshot file) against `expectedSHA256` and this agent's schema,
    /// then moves it to `restore-pending.db`. The upload is removed when refused.
    public static func stage(upload: String, expectedSHA256: String, dataDirectory: String) throws -> Staged {
        do {
            let (bytes, digest) = try FileDigest.sha256(ofFile: upload)
            guard digest == expectedSHA256.lowercased() else {
                throw Refusal(detail: "The snapshot's SHA-256 is \(digest) but \(expectedSHA256) was announced: it was damaged on the way. Send it again.")
            }
            let schema = try check(snapshot: upload)
            let pending = pendingPath(dataDirectory: dataDirectory)
            try FileDigest.syncFile(upload)
            guard rename(upload, pending) == 0 else {
                throw Refusal(detail: "Cannot stage the snapshot as \(pending): \(String(cString: strerror(errno))).")
            }
            try? FileDigest.syncFile(dataDirectory)
            return Staged(path: pending, bytes: bytes, sha256Hex: digest, schema: schema)
        } catch {
            try? FileManager.default.removeItem(atPath: upload)
            throw error
        }
    }

    /// Integrity and schema of a snapshot file; returns its last migration.
    public static func check(snapshot path: String) throws -> String {
        // Read-only, and with `trusted_schema` off, so nothing in the snapshot runs while it is inspected.
        var configuration = Configuration()
        configuration.readonly = true
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA trusted_schema = OFF") }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw Refusal(detail: "The snapshot is not an SQLite database (\(error)). Send a file made by GET /admin/v1/backup.")
        }
        let (integrity, applied, objects): ([String], [String], Set<String>) = try queue.read { db in
            let integrity: [String]
            do {
                integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            } catch {
                throw Refusal(detail: "The snapshot is not a readable SQLite database (\(error)). Send a file made by GET /admin/v1/backup.")
            }
            guard try db.tableExists("grdb_migrations") else { return (integrity, [], []) }
            return (integrity, try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"), try schemaObjects(db))
        }
        // Reading a WAL-mode file leaves an (empty) -wal and -shm beside it: not part of the snapshot.
        try? queue.close()
        removeEmptySidecars(of: path)
        guard integrity == ["ok"] else {
            throw Refusal(detail: "The snapshot failed PRAGMA integrity_check (\(integrity.prefix(3).joined(separator: "; "))). Use another backup.")
        }
        guard !applied.isEmpty else {
            throw Refusal(detail: "The snapshot has no mAI schema (no migrations table). Send a backup of an mAI agent.")
        }
        let known = Set(AgentMigrations.migrator.migrations)
        let unknown = applied.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            throw Refusal(detail: "The snapshot comes from a newer agent (migrations \(unknown.sorted().joined(separator: ", ")) are unknown here). Upgrade this agent first, then restore.")
        }
        let level = AgentMigrations.migrator.migrations.last { applied.contains($0) } ?? applied.last!
        try checkSchema(objects, level: level)
        return level
    }

    /// Tables, indexes, triggers and views of a database, as `sqlite_master` holds them (SQLite's
    /// own `sqlite_…` objects aside).
    static func schemaObjects(_ db: Database) throws -> Set<String> {
        Set(try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").map { row in
            "\(row["type"] as String? ?? "") \(row["name"] as String? ?? "") on \(row["tbl_name"] as String? ?? ""): \(row["sql"] as String? ?? "")"
        })
    }

    /// A snapshot's schema (`found`) must be exactly what this agent's migrations make at its level:
    /// an extra or changed trigger, view or table in a backup (one that made every new user an admin
    /// once survived a restore) is refused, not run.
    static func checkSchema(_ found: Set<String>, level: String) throws {
        let reference = try DatabaseQueue()
        try AgentMigrations.migrator.migrate(reference, upTo: level)
        let expected = try reference.read { db in try schemaObjects(db) }
        let extra = found.subtracting(expected), missing = expected.subtracting(found)
        guard extra.isEmpty && missing.isEmpty else {
            let sample = (extra.sorted().map { "unexpected \($0.prefix(120))" } + missing.sorted().map { "missing \($0.prefix(120))" }).prefix(3)
            throw Refusal(detail: "The snapshot's schema is not what mAI makes (\(sample.joined(separator: "; "))). It was changed after the backup was taken: restore another backup.")
        }
    }

    /// At start, before the pool opens: swaps a staged snapshot in, keeping the current database
    /// (and its WAL) as `<database>.before-restore-<yyyyMMdd-HHmmss>`. Returns the kept path, or nil
    /// when nothing was staged. A staged file that fails its check is set aside, not used.
    @discardableResult
    public static func applyPending(databasePath: String, dataDirectory: String, now: Date = Date(), logger: Logger) throws -> String? {
        let pending = pendingPath(dataDirectory: dataDirectory)
        let manager = FileManager.default
        guard manager.fileExists(atPath: pending) else { return nil }
        do {
            _ = try check(snapshot: pending)
        } catch {
            let rejected = pending + ".rejected-\(stamp(now))"
            _ = rename(pending, rejected)
            logger.error("staged restore refused; keeping the current database", metadata: ["reason": "\(error)", "set_aside": .string(rejected)])
            return nil
        }
        let kept = databasePath + ".before-restore-\(stamp(now))"
        if manager.fileExists(atPath: databasePath) {
            guard rename(databasePath, kept) == 0 else {
                throw Refusal(detail: "cannot keep the current database as \(kept): \(String(cString: strerror(errno)))")
            }
            // The WAL belongs with the file it was written for: SQLite replays it when `kept` is opened.
            if manager.fileExists(atPath: databasePath + "-wal") { _ = rename(databasePath + "-wal", kept + "-wal") }
            try? manager.removeItem(atPath: databasePath + "-shm")
        }
        try? manager.removeItem(atPath: databasePath + "-wal")
        guard rename(pending, databasePath) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(kept, databasePath)
            throw Refusal(detail: "cannot move the staged snapshot into place: \(reason)")
        }
        try? FileDigest.syncFile(dataDirectory)
        logger.notice("database restored from a staged snapshot", metadata: ["mai.op": "restore.applied", "kept_as": .string(kept)])
        return kept
    }

    /// Removes `<path>-shm`, and `<path>-wal` when it holds nothing.
    static func removeEmptySidecars(of path: String) {
        try? FileManager.default.removeItem(atPath: path + "-shm")
        let wal = path + "-wal"
        if let size = (try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? Int64, size == 0 {
            try? FileManager.default.removeItem(atPath: wal)
        }
    }

    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    /// Ends this process the way an operator would (SIGTERM → graceful shutdown) shortly after
    /// the answer has gone out.
    @Sendable public static func terminateProcessSoon() {
        Task.detached {
            try? await Task.sleep(for: .milliseconds(500))
            kill(getpid(), SIGTERM)
        }
    }
}

/// SHA-256 and fsync of files, in 1 MiB pieces.
enum FileDigest {
    static func sha256(ofFile path: String) throws -> (bytes: Int64, hex: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatabaseRestore.Refusal(detail: "cannot read \(path)")
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

    static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw DatabaseRestore.Refusal(detail: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        _ = fsync(descriptor)
    }
}
