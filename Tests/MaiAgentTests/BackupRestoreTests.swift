import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MaiCore
import Testing

@testable import MaiAgent

/// `GET /admin/v1/backup` and `PUT /admin/v1/restore` on real SQLite files, and the swap at start.
@Suite("Backup and restore")
struct BackupRestoreTests {
    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func hit() { lock.lock(); value += 1; lock.unlock() }
        var count: Int { lock.lock(); defer { lock.unlock() }; return value }
    }

    static func adminApp(_ agent: TestAgent, flag: Flag = Flag()) -> some ApplicationProtocol {
        Application(router: buildAdminRouter(services: agent.services, token: Secret(AdminAPITests.token), onRestoreStaged: { flag.hit() }),
                    logger: agent.services.logger)
    }

    static func header(_ name: String) -> HTTPField.Name { HTTPField.Name(name)! }

    /// Takes a backup through the admin API; returns the bytes and the announced SHA-256.
    static func backup(_ client: any TestClientProtocol) async throws -> (Data, String) {
        let response = try await AdminAPITests.get(client, "/admin/v1/backup")
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        let data = Data(buffer: response.body)
        let sha = try #require(response.headers[header(BackupHeaders.sha256)])
        #expect(response.headers[header(BackupHeaders.size)] == String(data.count))
        #expect(response.headers[header(BackupHeaders.schema)] == AgentMigrations.migrator.migrations.last)
        #expect(FileDigestTests.sha256(data) == sha)
        return (data, sha)
    }

    static func counts(_ path: String) throws -> (users: Int, chats: Int, messages: Int) {
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: path, configuration: configuration).read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users")!, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chats")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chat_messages")!)
        }
    }

    @Test("a backup taken while chats are written is one consistent point in time, and leaves no file behind")
    func consistentWhileWriting() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let (a, _, _, _) = try await ChatsTests.accounts(client)
            let writer = Task {
                var made = 0
                while !Task.isCancelled && made < 400 {
                    _ = try await ChatsTests.create(client, ChatsTests.breadChat, token: a)
                    made += 1
                }
                return made
            }
            try await Task.sleep(for: .milliseconds(100))
            let snapshots: [Data] = try await Self.adminApp(agent).test(.router) { admin in
                var taken: [Data] = []
                for _ in 0..<3 {
                    taken.append(try await Self.backup(admin).0)
                }
                return taken
            }
            let made = try await writer.value
            #expect(made > 0)
            var seen: [Int] = []
            for (index, data) in snapshots.enumerated() {
                let file = agent.directory.appendingPathComponent("check-\(index).db")
                try data.write(to: file)
                let (users, chats, messages) = try Self.counts(file.path)
                #expect(users == 4)
                // Every chat is stored with its two messages in one transaction: a torn copy would differ.
                #expect(messages == chats * 2, "snapshot \(index): \(chats) chats, \(messages) messages")
                seen.append(chats)
                try FileManager.default.removeItem(at: file)
            }
            #expect(seen == seen.sorted())
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: agent.directory.path).filter { $0.hasPrefix(".") && !$0.hasPrefix(".webui_secret_key") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("a restore is checked, staged, answered 202, and swapped in at the next start keeping the old database")
    func stageAndSwap() async throws {
        // The source: an instance with accounts and a chat.
        let source = try await TestAgent()
        try await source.test { client in
            let (a, _, _, _) = try await ChatsTests.accounts(client)
            _ = try await ChatsTests.create(client, ChatsTests.breadChat, token: a)
        }
        let (snapshot, sha) = try await Self.adminApp(source).test(.router) { client in try await Self.backup(client) }

        // The target: a fresh instance with one account of its own.
        let target = try await TestAgent()
        try await target.test { client in _ = try await client.signUp("other@example.com") }
        let flag = Flag()
        let pending = DatabaseRestore.pendingPath(dataDirectory: target.directory.path)
        try await Self.adminApp(target, flag: flag).test(.router) { client in
            func put(_ body: Data, sha: String?) async throws -> TestResponse {
                var headers: HTTPFields = [.authorization: "Bearer \(AdminAPITests.token)"]
                if let sha { headers[Self.header(BackupHeaders.sha256)] = sha }
                return try await client.execute(uri: "/admin/v1/restore", method: .put, headers: headers, body: ByteBuffer(data: body))
            }
            #expect(try await put(snapshot, sha: nil).status == .badRequest)
            let damaged = try await put(snapshot, sha: String(repeating: "a", count: 64))
            #expect(damaged.status == .unprocessableContent)
            #expect(damaged.detail.contains("damaged on the way"))
            let junk = Data(repeating: 1, count: 4096)
            let notDB = try await put(junk, sha: FileDigestTests.sha256(junk))
            #expect(notDB.status == .unprocessableContent, "\(notDB.detail)")
            // A snapshot from a newer agent (a migration this one does not know) is refused.
            let newer = target.directory.appendingPathComponent("newer.db")
            try snapshot.write(to: newer)
            let newerQueue = try DatabaseQueue(path: newer.path)
            try await newerQueue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-future')")
            }
            try newerQueue.close()
            let newerData = try Data(contentsOf: newer)
            let future = try await put(newerData, sha: FileDigestTests.sha256(newerData))
            #expect(future.status == .conflict)
            #expect(future.detail.contains("v99-future") && future.detail.contains("Upgrade this agent first"))
            #expect(!FileManager.default.fileExists(atPath: pending))
            #expect(flag.count == 0)

            let accepted = try await put(snapshot, sha: sha)
            #expect(accepted.status == .accepted, "\(accepted.detail)")
            let staged = try AdminAPI.decoder.decode(RestoreStaged.self, from: Data(buffer: accepted.body))
            #expect(staged.sha256 == sha && staged.bytes == Int64(snapshot.count))
            #expect(flag.count == 1)
        }
        #expect(FileManager.default.fileExists(atPath: pending))
        let uploads = try FileManager.default.contentsOfDirectory(atPath: target.directory.path)
            .filter { ($0.hasPrefix(".") && !$0.hasPrefix(".webui_secret_key")) || $0.hasPrefix(DatabaseRestore.pendingFileName + "-") }
        #expect(uploads.isEmpty)

        // The next start: the staged snapshot replaces the database, the old one is kept.
        var environment = ["DATA_DIR": target.directory.path]
        environment["FORWARDED_ALLOW_IPS"] = "*"
        var config = try AgentConfig(environment: environment)
        config.bcryptCost = 4
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let restarted = try await AgentServices(config: config, environment: environment, logger: logger)
        #expect(!FileManager.default.fileExists(atPath: pending))
        #expect(try await restarted.users.count() == 4)
        let kept = try FileManager.default.contentsOfDirectory(atPath: target.directory.path).filter { $0.contains(".before-restore-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        #expect(kept.count == 1)
        let old = try Self.counts(target.directory.appendingPathComponent(try #require(kept.first)).path)
        #expect(old.users == 1)
        let restoredChats = try await restarted.database.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chats") }
        #expect(restoredChats == 1)
        #expect(try restarted.database.appliedMigrations() == AgentMigrations.migrator.migrations)
    }

    /// Whoever holds a backup could add a trigger that makes every new user an admin; it once
    /// survived a restore and worked. A snapshot whose schema differs from what the migrations make
    /// is refused; the untouched backup passes.
    @Test("a snapshot with an extra trigger, view or changed table is refused")
    func tamperedSchemaIsRefused() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in _ = try await client.signUp("admin@example.com") }
        let (data, _) = try await Self.adminApp(agent).test(.router) { client in try await Self.backup(client) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tamper-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clean = directory.appendingPathComponent("clean.db").path
        try data.write(to: URL(fileURLWithPath: clean))
        #expect(try DatabaseRestore.check(snapshot: clean) == AgentMigrations.migrator.migrations.last, "an untouched backup passes")
        for (name, sql) in [
            ("trigger", "CREATE TRIGGER everyone_admin AFTER INSERT ON users BEGIN UPDATE users SET role = 'admin' WHERE id = NEW.id; END"),
            ("view", "CREATE VIEW spy AS SELECT * FROM users"),
            ("column", "ALTER TABLE users ADD COLUMN backdoor TEXT"),
        ] {
            let tampered = directory.appendingPathComponent("\(name).db").path
            try data.write(to: URL(fileURLWithPath: tampered))
            try await DatabaseQueue(path: tampered).write { db in try db.execute(sql: sql) }
            let refusal = #expect(throws: DatabaseRestore.Refusal.self) { _ = try DatabaseRestore.check(snapshot: tampered) }
            #expect(refusal?.detail.contains("schema is not what mAI makes") == true, "\(name): \(String(describing: refusal))")
        }
    }

    @Test("a damaged staged file is set aside at start and the current database kept")
    func damagedStagedFileIsSetAside() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in _ = try await client.signUp("keep@example.com") }
        let pending = DatabaseRestore.pendingPath(dataDirectory: agent.directory.path)
        try Data(repeating: 9, count: 10_000).write(to: URL(fileURLWithPath: pending))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let kept = try DatabaseRestore.applyPending(databasePath: agent.services.config.databasePath, dataDirectory: agent.directory.path, logger: logger)
        #expect(kept == nil)
        #expect(!FileManager.default.fileExists(atPath: pending))
        #expect(try FileManager.default.contentsOfDirectory(atPath: agent.directory.path).contains { $0.hasPrefix(DatabaseRestore.pendingFileName + ".rejected-") })
        #expect(try await agent.services.users.count() == 1)
    }
}

enum FileDigestTests {
    static func sha256(_ data: Data) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)")
        try? data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return (try? FileDigest.sha256(ofFile: file.path).hex) ?? ""
    }
}
