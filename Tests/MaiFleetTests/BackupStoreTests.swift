import Foundation
import GRDB
import MaiCore
import Testing
@testable import MaiFleet

@Suite struct BackupStoreTests {
    static func temporary() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("maibackup-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A real SQLite file with `rows` rows.
    static func database(at url: URL, rows: Int) throws {
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE chats (id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
            for index in 0..<rows { try db.execute(sql: "INSERT INTO chats (title) VALUES (?)", arguments: ["chat \(index)"]) }
        }
        try queue.close()
    }

    @Test func keepsCompressedChecksAndExtractsTheSameBytes() throws {
        let base = Self.temporary()
        defer { try? FileManager.default.removeItem(at: base) }
        let snapshot = base.appendingPathComponent("snap.db")
        try Self.database(at: snapshot, rows: 500)
        let (bytes, sha) = try BackupStore.sha256(of: snapshot)
        let store = BackupStore(root: base.appendingPathComponent("backups"))
        let record = try store.keep("acme", snapshot: snapshot, expectedSHA256: sha, expectedBytes: bytes, schema: "v7-branding", reason: "manual")
        #expect(record.bytes == bytes && record.sha256 == sha)
        #expect(record.compressedBytes > 0 && record.compressedBytes < bytes)
        let mode = try FileManager.default.attributesOfItem(atPath: store.archive("acme", id: record.id).path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let out = base.appendingPathComponent("out.db")
        let extracted = try store.extract("acme", id: record.id, to: out)
        #expect(extracted == record)
        #expect(try BackupStore.sha256(of: out).1 == sha)
        let count = try DatabaseQueue(path: out.path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chats") }
        #expect(count == 500)
    }

    @Test func refusesADamagedOrNonDatabaseSnapshot() throws {
        let base = Self.temporary()
        defer { try? FileManager.default.removeItem(at: base) }
        let snapshot = base.appendingPathComponent("snap.db")
        try Self.database(at: snapshot, rows: 10)
        let store = BackupStore(root: base.appendingPathComponent("backups"))
        let (bytes, sha) = try BackupStore.sha256(of: snapshot)
        #expect(throws: BackupError.self) {
            try store.keep("acme", snapshot: snapshot, expectedSHA256: String(repeating: "0", count: 64), expectedBytes: bytes, schema: "", reason: "manual")
        }
        #expect(throws: BackupError.self) {
            try store.keep("acme", snapshot: snapshot, expectedSHA256: sha, expectedBytes: bytes + 1, schema: "", reason: "manual")
        }
        let junk = base.appendingPathComponent("junk.db")
        try Data(repeating: 7, count: 8192).write(to: junk)
        let junkSHA = try BackupStore.sha256(of: junk).1
        do {
            _ = try store.keep("acme", snapshot: junk, expectedSHA256: junkSHA, expectedBytes: nil, schema: "", reason: "manual")
            Issue.record("junk was kept")
        } catch let error as BackupError {
            #expect(error.description.contains("not a readable SQLite database") || error.description.contains("integrity_check"))
        }
        #expect(try store.list("acme").isEmpty)
    }

    @Test func retentionKeepsTheNewestN() throws {
        let base = Self.temporary()
        defer { try? FileManager.default.removeItem(at: base) }
        let snapshot = base.appendingPathComponent("snap.db")
        try Self.database(at: snapshot, rows: 3)
        let (bytes, sha) = try BackupStore.sha256(of: snapshot)
        let store = BackupStore(root: base.appendingPathComponent("backups"))
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        var ids: [String] = []
        for hour in 0..<5 {
            ids.append(try store.keep("acme", snapshot: snapshot, expectedSHA256: sha, expectedBytes: bytes, schema: "v7", reason: "manual",
                                      now: start.addingTimeInterval(Double(hour) * 3600)).id)
        }
        // Same second: a distinct id, never an overwrite.
        let twin = try store.keep("acme", snapshot: snapshot, expectedSHA256: sha, expectedBytes: bytes, schema: "v7", reason: "manual",
                                  now: start.addingTimeInterval(4 * 3600))
        #expect(twin.id == ids[4] + "-2")
        #expect(try store.list("acme").count == 6)
        let removed = try store.prune("acme", keep: 3)
        #expect(Set(removed) == Set(ids[0..<3]))
        #expect(try store.list("acme").map(\.id) == [twin.id, ids[4], ids[3]])
        let left = try FileManager.default.contentsOfDirectory(atPath: try store.directory("acme").path).sorted()
        #expect(left.count == 6)  // three .db.gz and three .json
        #expect(try store.list("globex").isEmpty)
        #expect(throws: BackupError.self) { try store.record("acme", id: ids[0]) }
    }
}
