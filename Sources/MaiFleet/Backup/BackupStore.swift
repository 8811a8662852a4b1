import Crypto
import Foundation
import GRDB
import MaiCore

/// One kept backup: `<state>/backups/<slug>/<id>.db.gz` (gzip) with `<id>.json` beside it.
public struct BackupRecord: Codable, Sendable, Equatable {
    /// `20261126T224800Z`, sortable; a suffix `-2`, `-3` when two land in the same second.
    public var id: String
    public var client: String
    public var createdAt: Date
    /// Size of the database file (uncompressed).
    public var bytes: Int64
    /// SHA-256 of the database file (uncompressed), as the agent announced and maictl verified.
    public var sha256: String
    public var compressedBytes: Int64
    /// The last migration in the snapshot.
    public var schema: String
    /// Why it was taken: `manual`, `pre-restore`, `pre-deploy`…
    public var reason: String

    public init(id: String, client: String, createdAt: Date, bytes: Int64, sha256: String, compressedBytes: Int64, schema: String, reason: String) {
        self.id = id
        self.client = client
        self.createdAt = createdAt
        self.bytes = bytes
        self.sha256 = sha256
        self.compressedBytes = compressedBytes
        self.schema = schema
        self.reason = reason
    }
}

/// Why a backup cannot be kept or used.
public struct BackupError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Backups kept under maictl's state directory, compressed with gzip (Debian's `gzip`, always
/// installed), checked before they are kept and again before they are restored.
public struct BackupStore: Sendable {
    /// `<state>/backups`.
    public let root: URL

    public init(state: StateDirectory) {
        self.root = state.url.appendingPathComponent("backups", isDirectory: true)
    }

    public init(root: URL) {
        self.root = root
    }

    public func directory(_ slug: String) throws -> URL {
        guard FieldRules.isSlug(slug) else { throw BackupError("\(slug) is not a client slug") }
        return root.appendingPathComponent(slug, isDirectory: true)
    }

    /// Creates `<root>/<slug>` (0700).
    public func prepare(_ slug: String) throws -> URL {
        let directory = try directory(slug)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(root.path, 0o700)
        return directory
    }

    /// A place for a download or a decompressed copy, removed by the caller.
    public func temporaryFile(_ slug: String, suffix: String) throws -> URL {
        try prepare(slug).appendingPathComponent(".tmp-\(UUID().uuidString)\(suffix)")
    }

    /// The backups of `slug`, newest first.
    public func list(_ slug: String) throws -> [BackupRecord] {
        let directory = try directory(slug)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        let decoder = AdminAPI.decoder
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else { return nil }
            return try? decoder.decode(BackupRecord.self, from: data)
        }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    public func record(_ slug: String, id: String) throws -> BackupRecord {
        guard let found = try list(slug).first(where: { $0.id == id }) else {
            let known = try list(slug).prefix(5).map(\.id)
            throw BackupError("no backup \(id) of \(slug)" + (known.isEmpty ? "; take one with maictl backup \(slug)" : "; the newest are \(known.joined(separator: ", ")) (maictl backup list \(slug))"))
        }
        return found
    }

    public func archive(_ slug: String, id: String) throws -> URL {
        try directory(slug).appendingPathComponent("\(id).db.gz")
    }

    /// Checks `snapshot` (size, SHA-256, `PRAGMA integrity_check`), compresses it into the store and
    /// writes its record. The snapshot file itself is left for the caller to remove.
    public func keep(_ slug: String, snapshot: URL, expectedSHA256: String, expectedBytes: Int64?, schema: String,
                     reason: String, now: Date = Date()) throws -> BackupRecord {
        let (bytes, digest) = try Self.sha256(of: snapshot)
        if let expectedBytes, expectedBytes != bytes {
            throw BackupError("the snapshot has \(bytes) bytes but the agent announced \(expectedBytes): the transfer was incomplete")
        }
        guard digest == expectedSHA256.lowercased() else {
            throw BackupError("the snapshot's SHA-256 is \(digest) but the agent announced \(expectedSHA256): it was damaged on the way")
        }
        try Self.integrityCheck(snapshot)
        let directory = try prepare(slug)
        let id = uniqueID(in: directory, now: now)
        let archive = directory.appendingPathComponent("\(id).db.gz")
        let partial = directory.appendingPathComponent(".\(id).db.gz.partial")
        defer { try? FileManager.default.removeItem(at: partial) }
        try Self.gzip(snapshot, to: partial)
        guard rename(partial.path, archive.path) == 0 else { throw BackupError("cannot write \(archive.path): \(String(cString: strerror(errno)))") }
        let compressed = ((try? FileManager.default.attributesOfItem(atPath: archive.path))?[.size] as? Int64) ?? 0
        // Whole seconds: what the record's ISO 8601 date keeps.
        let created = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let record = BackupRecord(id: id, client: slug, createdAt: created, bytes: bytes, sha256: digest, compressedBytes: compressed, schema: schema, reason: reason)
        let encoder = AdminAPI.encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let metadata = directory.appendingPathComponent("\(id).json")
        try encoder.encode(record).write(to: metadata, options: .atomic)
        chmod(archive.path, 0o600)
        chmod(metadata.path, 0o600)
        return record
    }

    /// Decompresses backup `id` to `file` and checks it against its record (SHA-256, integrity).
    public func extract(_ slug: String, id: String, to file: URL) throws -> BackupRecord {
        let record = try record(slug, id: id)
        try Self.gunzip(try archive(slug, id: id), to: file)
        let (bytes, digest) = try Self.sha256(of: file)
        guard digest == record.sha256, bytes == record.bytes else {
            throw BackupError("backup \(id) of \(slug) is damaged: its SHA-256 is now \(digest), recorded \(record.sha256); use another backup")
        }
        try Self.integrityCheck(file)
        return record
    }

    /// Removes all but the newest `keep` backups of `slug`; returns the ids removed.
    @discardableResult
    public func prune(_ slug: String, keep: Int) throws -> [String] {
        let directory = try directory(slug)
        let old = try list(slug).dropFirst(max(1, keep))
        for record in old {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(record.id).db.gz"))
            try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(record.id).json"))
        }
        return old.map(\.id)
    }

    func uniqueID(in directory: URL, now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = formatter.string(from: now)
        var id = base
        var counter = 2
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent("\(id).json").path)
            || FileManager.default.fileExists(atPath: directory.appendingPathComponent("\(id).db.gz").path) {
            id = "\(base)-\(counter)"
            counter += 1
        }
        return id
    }

    // MARK: - Files

    public static func sha256(of file: URL) throws -> (Int64, String) {
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw BackupError("cannot read \(file.path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            bytes += Int64(chunk.count)
        }
        return (bytes, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// `PRAGMA integrity_check` with SQLite, read-only.
    public static func integrityCheck(_ file: URL) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let answer: [String]
        do {
            answer = try DatabaseQueue(path: file.path, configuration: configuration).read { db in
                try String.fetchAll(db, sql: "PRAGMA integrity_check")
            }
        } catch {
            throw BackupError("the snapshot is not a readable SQLite database: \(error)")
        }
        guard answer == ["ok"] else {
            throw BackupError("the snapshot failed PRAGMA integrity_check: \(answer.prefix(3).joined(separator: "; "))")
        }
    }

    static func gzip(_ input: URL, to output: URL) throws {
        try run(["gzip", "-c", "-6", "-n", input.path], stdout: output)
    }

    static func gunzip(_ input: URL, to output: URL) throws {
        try run(["gzip", "-d", "-c", input.path], stdout: output)
    }

    private static func run(_ arguments: [String], stdout output: URL) throws {
        guard FileManager.default.createFile(atPath: output.path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: output.path) else {
            throw BackupError("cannot write \(output.path)")
        }
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = handle
        let errors = Pipe()
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw BackupError("cannot run gzip (\(error)); install it: apt-get install gzip")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BackupError("gzip failed (exit \(process.terminationStatus)): \(String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        try handle.synchronize()
    }
}
