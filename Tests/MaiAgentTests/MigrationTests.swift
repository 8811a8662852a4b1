import Foundation
import GRDB
import Testing

@testable import MaiAgent

@Suite("Database")
struct MigrationTests {
    @Test("an empty database migrates to the full schema, with WAL and foreign keys")
    func migrateEmpty() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mai-db-\(UUID().uuidString).db").path
        let database = try AgentDatabase(path: path)
        #expect(try database.appliedMigrations().isEmpty)
        try database.migrate()
        #expect(try database.appliedMigrations() == ["v1-accounts", "v2-chats", "v3-connections-generations", "v4-usage", "v5-knowledge", "v6-openrouter-keys", "v7-branding", "v8-books-one-rule", "v9-file-attempts"])
        try database.migrate()  // idempotent
        try await database.pool.read { db in
            for table in ["users", "auth_sessions", "refresh_tokens", "api_keys", "settings"] {
                #expect(try db.tableExists(table), "missing table \(table)")
            }
            let userColumns = Set(try db.columns(in: "users").map(\.name))
            #expect(userColumns.isSuperset(of: ["id", "email", "name", "role", "password_hash", "profile_image_url", "is_active", "created_at", "updated_at", "last_active_at"]))
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA foreign_keys") == 1)
            let refreshColumns = Set(try db.columns(in: "refresh_tokens").map(\.name))
            #expect(refreshColumns.contains("token_hash") && !refreshColumns.contains("token"))
        }
        // Deleting a user takes its sessions and tokens with it (foreign keys enforced).
        try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at, last_active_at) VALUES ('u', 'u@x.io', 'U', 'user', 'h', 0, 0, 0)")
            try db.execute(sql: "INSERT INTO auth_sessions (id, user_id, created_at, expires_at) VALUES ('s', 'u', 0, 10)")
            try db.execute(sql: "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) VALUES ('t', 's', 0, 10)")
            try db.execute(sql: "DELETE FROM users WHERE id = 'u'")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM refresh_tokens") == 0)
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at, last_active_at) VALUES ('v', 'v@x.io', 'V', 'root', 'h', 0, 0, 0)")
            }
        }
        #expect(try await database.check() == "ok")
    }
}
