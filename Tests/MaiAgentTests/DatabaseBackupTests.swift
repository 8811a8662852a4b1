import Crypto
import Foundation
import GRDB
import Testing

@testable import MaiAgent

@Suite("DatabaseBackup: a consistent, checked copy of the live database")
struct DatabaseBackupTests {
    func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mai-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func snapshotHoldsTheDataAndItsDigestMatches() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try AgentDatabase(path: dir.appendingPathComponent("webui.db").path)
        try database.migrate()
        try database.pool.write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
            for index in 0..<500 { try db.execute(sql: "INSERT INTO notes (body) VALUES (?)", arguments: ["note \(index)"]) }
        }
        let path = dir.appendingPathComponent("backups-pre-deploy-v2.db").path
        let result = try DatabaseBackup.snapshot(of: database.pool, to: path)
        #expect(result.path == path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(result.bytes == Int64(bytes.count))
        #expect(result.sha256Hex == SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        let copy = try DatabaseQueue(path: path)
        #expect(try copy.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM notes") } == 500)
        #expect(try copy.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
        #expect(left.isEmpty, "no temporary file is left behind")
    }

    @Test func writesAfterTheSnapshotAreNotInIt() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try AgentDatabase(path: dir.appendingPathComponent("webui.db").path)
        try database.pool.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)") }
        let path = dir.appendingPathComponent("copy.db").path
        _ = try DatabaseBackup.snapshot(of: database.pool, to: path)
        try database.pool.write { try $0.execute(sql: "INSERT INTO t VALUES (2)") }
        #expect(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM t") } == 1)
    }

    @Test func anExistingFileIsNeverOverwritten() throws {
        let dir = try directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try AgentDatabase(path: dir.appendingPathComponent("webui.db").path)
        try database.migrate()
        let path = dir.appendingPathComponent("copy.db").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: (any Error).self) { try DatabaseBackup.snapshot(of: database.pool, to: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }
}
