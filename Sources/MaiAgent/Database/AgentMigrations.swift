import GRDB

/// The schema's history. Migrations are forward-only: never edit one that has been released; add one.
enum AgentMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-accounts") { db in
            try db.create(table: "users") { t in
                t.primaryKey("id", .text)
                t.column("email", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("role", .text).notNull()
                    .check(sql: "role IN ('admin', 'user', 'pending')")
                t.column("password_hash", .text).notNull()
                t.column("profile_image_url", .text).notNull().defaults(to: "")
                t.column("is_active", .boolean).notNull().defaults(to: true)
                t.column("created_at", .integer).notNull()
                t.column("updated_at", .integer).notNull()
                t.column("last_active_at", .integer).notNull()
            }
            try db.create(index: "users_role", on: "users", columns: ["role", "is_active"])

            // A session is one sign-in: the family of refresh tokens that rotate from it.
            try db.create(table: "auth_sessions") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().indexed()
                    .references("users", onDelete: .cascade)
                t.column("created_at", .integer).notNull()
                t.column("expires_at", .integer).notNull()
                t.column("revoked_at", .integer)
                t.column("revoked_reason", .text)
                t.column("client_address", .text).notNull().defaults(to: "")
                t.column("user_agent", .text).notNull().defaults(to: "")
            }
            try db.create(table: "refresh_tokens") { t in
                t.primaryKey("token_hash", .text)
                t.column("session_id", .text).notNull().indexed()
                    .references("auth_sessions", onDelete: .cascade)
                t.column("created_at", .integer).notNull()
                t.column("expires_at", .integer).notNull()
                t.column("used_at", .integer)
            }
            try db.create(table: "api_keys") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().unique()
                    .references("users", onDelete: .cascade)
                t.column("key_hash", .text).notNull().unique()
                t.column("display_prefix", .text).notNull()
                t.column("created_at", .integer).notNull()
                t.column("last_used_at", .integer)
            }
            try db.create(table: "settings") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
                t.column("updated_at", .integer).notNull()
                t.column("updated_by", .text)
            }
        }
        return migrator
    }
}
