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
        migrator.registerMigration("v2-chats") { db in
            try db.create(table: "chats") { t in
                t.primaryKey("id", .text)
                t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
                t.column("title", .text).notNull()
                // The leaf of the branch on screen (Open WebUI's history.currentId).
                t.column("current_message_id", .text)
                t.column("pinned", .boolean).notNull().defaults(to: false)
                t.column("archived", .boolean).notNull().defaults(to: false)
                // JSON array of model ids chosen for this chat.
                t.column("models", .text).notNull().defaults(to: "[]")
                t.column("created_at", .integer).notNull()
                t.column("updated_at", .integer).notNull()
            }
            try db.create(index: "chats_owner_recent", on: "chats", columns: ["user_id", "archived", "updated_at"])
            try db.create(table: "chat_messages") { t in
                t.primaryKey("id", .text)
                t.column("chat_id", .text).notNull().references("chats", onDelete: .cascade)
                // The message this one answers or follows; siblings under one parent are branches.
                t.column("parent_id", .text)
                t.column("role", .text).notNull().check(sql: "role IN ('system', 'user', 'assistant')")
                t.column("content", .text).notNull()
                t.column("model", .text)
                t.column("status", .text).notNull().defaults(to: "complete")
                    .check(sql: "status IN ('complete', 'streaming', 'interrupted', 'error')")
                t.column("error", .text)
                t.column("created_at", .integer).notNull()
                t.column("updated_at", .integer).notNull()
            }
            try db.create(index: "chat_messages_chat", on: "chat_messages", columns: ["chat_id", "created_at"])
            try db.create(index: "chat_messages_parent", on: "chat_messages", columns: ["parent_id"])
            // Full-text index over chat titles and message texts, scoped by owner at query time.
            // Each indexed row has a stable integer key (`search_id`, kept in a column so VACUUM
            // cannot renumber it): messages use it, titles use its negative. Updates and deletes
            // then find their index row by rowid instead of scanning the index.
            try db.alter(table: "chats") { t in t.add(column: "search_id", .integer) }
            try db.alter(table: "chat_messages") { t in t.add(column: "search_id", .integer) }
            try db.create(index: "chats_search_id", on: "chats", columns: ["search_id"], unique: true)
            try db.create(index: "chat_messages_search_id", on: "chat_messages", columns: ["search_id"], unique: true)
            try db.execute(sql: """
                CREATE VIRTUAL TABLE chat_search USING fts5(
                    text, chat_id UNINDEXED, user_id UNINDEXED, message_id UNINDEXED,
                    tokenize = 'unicode61 remove_diacritics 2'
                );
                CREATE TRIGGER chats_search_insert AFTER INSERT ON chats BEGIN
                    UPDATE chats SET search_id = (SELECT COALESCE(MAX(search_id), 0) + 1 FROM chats) WHERE id = new.id;
                    INSERT INTO chat_search (rowid, text, chat_id, user_id, message_id)
                    SELECT -search_id, new.title, new.id, new.user_id, NULL FROM chats WHERE id = new.id;
                END;
                CREATE TRIGGER chats_search_title AFTER UPDATE OF title ON chats BEGIN
                    DELETE FROM chat_search WHERE rowid = -old.search_id;
                    INSERT INTO chat_search (rowid, text, chat_id, user_id, message_id) VALUES (-old.search_id, new.title, new.id, new.user_id, NULL);
                END;
                CREATE TRIGGER chats_search_delete AFTER DELETE ON chats BEGIN
                    DELETE FROM chat_search WHERE rowid = -old.search_id;
                END;
                CREATE TRIGGER chat_messages_search_insert AFTER INSERT ON chat_messages BEGIN
                    UPDATE chat_messages SET search_id = (SELECT COALESCE(MAX(search_id), 0) + 1 FROM chat_messages) WHERE id = new.id;
                    INSERT INTO chat_search (rowid, text, chat_id, user_id, message_id)
                    SELECT chat_messages.search_id, new.content, new.chat_id, chats.user_id, new.id
                    FROM chat_messages JOIN chats ON chats.id = new.chat_id WHERE chat_messages.id = new.id;
                END;
                CREATE TRIGGER chat_messages_search_update AFTER UPDATE OF content ON chat_messages BEGIN
                    DELETE FROM chat_search WHERE rowid = old.search_id;
                    INSERT INTO chat_search (rowid, text, chat_id, user_id, message_id)
                    SELECT old.search_id, new.content, new.chat_id, chats.user_id, new.id FROM chats WHERE chats.id = new.chat_id;
                END;
                CREATE TRIGGER chat_messages_search_delete AFTER DELETE ON chat_messages BEGIN
                    DELETE FROM chat_search WHERE rowid = old.search_id;
                END;
                """)
        }
        migrator.registerMigration("v3-connections-generations") { db in
            // Provider connections an admin added or changed; they win over the environment's.
            try db.create(table: "connections") { t in
                t.primaryKey("id", .text)
                t.column("kind", .text).notNull()
                t.column("name", .text).notNull()
                t.column("base_url", .text).notNull()
                // AES-GCM sealed with a key derived from WEBUI_SECRET_KEY; never stored in clear.
                t.column("api_key_sealed", .blob)
                t.column("key_hint", .text).notNull().defaults(to: "")
                t.column("model_prefix", .text).notNull().defaults(to: "")
                t.column("enabled", .boolean).notNull().defaults(to: true)
                t.column("created_at", .integer).notNull()
                t.column("updated_at", .integer).notNull()
            }
            // One row per completion: what usage accounting confirms and sums. Not tied to users
            // by a foreign key: deleting an employee must not delete what they cost.
            try db.create(table: "generations") { t in
                t.primaryKey("id", .text)
                t.column("upstream_id", .text)
                t.column("user_id", .text).notNull()
                t.column("external_user", .text)
                t.column("chat_id", .text)
                t.column("message_id", .text)
                t.column("connection_id", .text).notNull()
                t.column("provider", .text).notNull()
                t.column("model", .text).notNull()
                t.column("prompt_tokens", .integer).notNull()
                t.column("completion_tokens", .integer).notNull()
                t.column("tokens_estimated", .boolean).notNull().defaults(to: false)
                t.column("reported_cost_nanos", .integer)
                t.column("status", .text).notNull().defaults(to: "provisional")
                t.column("finish_reason", .text).notNull()
                t.column("streamed", .boolean).notNull()
                t.column("first_token_ms", .integer)
                t.column("duration_ms", .integer).notNull()
                t.column("created_at", .integer).notNull()
            }
            try db.create(index: "generations_user_time", on: "generations", columns: ["user_id", "created_at"])
            try db.create(index: "generations_status", on: "generations", columns: ["status", "created_at"])
            try db.create(index: "generations_upstream", on: "generations", columns: ["upstream_id"])
        }
        migrator.registerMigration("v4-usage") { db in
            try db.alter(table: "generations") { t in
                // sha256 of the OpenRouter key that served it: confirmation uses that key, even after a swap.
                t.add(column: "key_hash", .text)
                t.add(column: "estimated_cost_nanos", .integer)
                t.add(column: "confirmed_cost_nanos", .integer)
                t.add(column: "native_prompt_tokens", .integer)
                t.add(column: "native_completion_tokens", .integer)
                t.add(column: "provider_name", .text)
                t.add(column: "confirmed_at", .integer)
                t.add(column: "attempts", .integer).notNull().defaults(to: 0)
                t.add(column: "next_attempt_at", .integer).notNull().defaults(to: 0)
                t.add(column: "last_error", .text)
            }
            try db.create(index: "generations_pending", on: "generations", columns: ["status", "next_attempt_at"])
            try db.create(index: "generations_key", on: "generations", columns: ["key_hash", "status"])
            // The markup in force when a day's first usage was booked; later changes leave it alone.
            try db.create(table: "usage_days") { t in
                t.primaryKey("day", .text)
                t.column("markup_rate", .text).notNull()
            }
            // Daily roll-up per employee and model, kept exact by triggers in the same transaction as
            // every change to `generations`, and kept when detail rows are pruned.
            try db.create(table: "usage_daily") { t in
                t.column("day", .text).notNull()
                t.column("user_id", .text).notNull()
                t.column("model", .text).notNull()
                t.column("requests", .integer).notNull()
                t.column("prompt_tokens", .integer).notNull()
                t.column("completion_tokens", .integer).notNull()
                t.column("cost_nanos", .integer).notNull()
                t.column("provisional", .integer).notNull()
                t.column("confirmed", .integer).notNull()
                t.column("unverified", .integer).notNull()
                t.column("estimated", .integer).notNull()
                t.primaryKey(["day", "user_id", "model"])
            }
            try db.create(index: "usage_daily_user", on: "usage_daily", columns: ["user_id", "day"])
            // `external_user` values that came back from OpenRouter and map to no local employee.
            try db.create(table: "external_users") { t in
                t.primaryKey("external_user", .text)
                t.column("first_seen", .integer).notNull()
                t.column("last_seen", .integer).notNull()
                t.column("requests", .integer).notNull()
                t.column("cost_nanos", .integer).notNull()
            }
            try db.create(table: "budgets") { t in
                // '' for the whole instance, else a user id.
                t.primaryKey("user_id", .text)
                t.column("monthly_limit_nanos", .integer).notNull()
                t.column("updated_at", .integer).notNull()
            }
            // Old OpenRouter keys kept (sealed) only to confirm the rows they served.
            try db.create(table: "openrouter_keys") { t in
                t.primaryKey("key_hash", .text)
                t.column("key_sealed", .blob).notNull()
                t.column("base_url", .text).notNull()
                t.column("retired_at", .integer)
                t.column("created_at", .integer).notNull()
            }
            let cost = { (row: String) in
                "(CASE \(row).status WHEN 'confirmed' THEN COALESCE(\(row).confirmed_cost_nanos, 0) WHEN 'estimated' THEN COALESCE(\(row).estimated_cost_nanos, 0) ELSE COALESCE(\(row).reported_cost_nanos, \(row).estimated_cost_nanos, 0) END)"
            }
            let count = { (row: String, state: String) in "(\(row).status = '\(state)')" }
            let day = "date(new.created_at, 'unixepoch')"
            try db.execute(sql: """
                CREATE TRIGGER generations_rollup_insert AFTER INSERT ON generations BEGIN
                    INSERT OR IGNORE INTO usage_days (day, markup_rate)
                    VALUES (\(day), COALESCE((SELECT value FROM settings WHERE key = 'MARKUP_RATE'), '1.3'));
                    INSERT INTO usage_daily (day, user_id, model, requests, prompt_tokens, completion_tokens, cost_nanos,
                                             provisional, confirmed, unverified, estimated)
                    VALUES (\(day), new.user_id, new.model, 1, new.prompt_tokens, new.completion_tokens, \(cost("new")),
                            \(count("new", "provisional")), \(count("new", "confirmed")), \(count("new", "unverified")), \(count("new", "estimated")))
                    ON CONFLICT (day, user_id, model) DO UPDATE SET
                        requests = requests + 1,
                        prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                        completion_tokens = completion_tokens + excluded.completion_tokens,
                        cost_nanos = cost_nanos + excluded.cost_nanos,
                        provisional = provisional + excluded.provisional,
                        confirmed = confirmed + excluded.confirmed,
                        unverified = unverified + excluded.unverified,
                        estimated = estimated + excluded.estimated;
                END;
                CREATE TRIGGER generations_rollup_update
                AFTER UPDATE OF status, confirmed_cost_nanos, reported_cost_nanos, estimated_cost_nanos, prompt_tokens, completion_tokens ON generations
                BEGIN
                    UPDATE usage_daily SET
                        prompt_tokens = prompt_tokens + new.prompt_tokens - old.prompt_tokens,
                        completion_tokens = completion_tokens + new.completion_tokens - old.completion_tokens,
                        cost_nanos = cost_nanos + \(cost("new")) - \(cost("old")),
                        provisional = provisional + \(count("new", "provisional")) - \(count("old", "provisional")),
                        confirmed = confirmed + \(count("new", "confirmed")) - \(count("old", "confirmed")),
                        unverified = unverified + \(count("new", "unverified")) - \(count("old", "unverified")),
                        estimated = estimated + \(count("new", "estimated")) - \(count("old", "estimated"))
                    WHERE day = date(old.created_at, 'unixepoch') AND user_id = old.user_id AND model = old.model;
                END;
                """)
        }
        migrator.registerMigration("v5-knowledge", migrate: KnowledgeSchema.create)
        migrator.registerMigration("v6-openrouter-keys") { db in
            // When each OpenRouter key was set on this agent (or first seen, for one from the
            // environment): maictl shows the key's age and rotates by it.
            try db.create(table: "openrouter_key_set") { t in
                t.primaryKey("key_hash", .text)
                t.column("set_at", .integer).notNull()
            }
        }
        // v7-branding: the instance's look, set by `maictl brand push` or the admin settings (one row).
        migrator.registerMigration("v7-branding") { db in
            try db.create(table: "branding") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("name", .text)
                t.column("light_json", .text).notNull()
                t.column("dark_json", .text).notNull()
                t.column("logo", .blob)
                t.column("logo_type", .text)
                t.column("favicon", .blob)
                t.column("favicon_type", .text)
                t.column("version", .text).notNull()
                t.column("updated_at", .integer).notNull()
                t.column("updated_by", .text)
            }
        }
        // v8-books-one-rule: one roll-up rule for every change to a generation. The old update
        // trigger added the difference to the row's *old* day, so a row whose day, employee or model
        // changed (a stream crossing midnight was saved with its end time) corrupted two days. Now
        // every update takes the old row out of its (day, employee, model) and puts the new one
        // into its own; a `refused` row (the provider turned the request down before it began)
        // counts nothing.
        migrator.registerMigration("v8-books-one-rule") { db in
            try db.execute(sql: "DROP TRIGGER generations_rollup_insert; DROP TRIGGER generations_rollup_update;")
            try db.execute(sql: UsageRollup.triggers)
        }
        // How often a file's extraction was started: a file that was being read when the agent died,
        // twice, is not read a third time (it would crash the agent after every restart).
        migrator.registerMigration("v9-file-attempts") { db in
            try db.execute(sql: "ALTER TABLE files ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }
}

/// The daily roll-up's triggers (`usage_daily`), written once for insert and update.
enum UsageRollup {
    /// The cost a row contributes, exact nano-dollars.
    static func cost(_ row: String) -> String {
        "(CASE \(row).status WHEN 'confirmed' THEN COALESCE(\(row).confirmed_cost_nanos, 0) WHEN 'estimated' THEN COALESCE(\(row).estimated_cost_nanos, 0) WHEN 'refused' THEN 0 ELSE COALESCE(\(row).reported_cost_nanos, \(row).estimated_cost_nanos, 0) END)"
    }

    static func counted(_ row: String) -> String { "(\(row).status != 'refused')" }

    static func count(_ row: String, _ state: String) -> String { "(\(row).status = '\(state)')" }

    static func day(_ row: String) -> String { "date(\(row).created_at, 'unixepoch')" }

    /// Adds (`sign` "+") or takes out ("-") `row` in its own (day, user, model) cell.
    static func apply(_ row: String, sign: String) -> String {
        if sign == "+" {
            return """
                INSERT OR IGNORE INTO usage_days (day, markup_rate)
                VALUES (\(day(row)), COALESCE((SELECT value FROM settings WHERE key = 'MARKUP_RATE'), '1.3'));
                INSERT INTO usage_daily (day, user_id, model, requests, prompt_tokens, completion_tokens, cost_nanos,
                                         provisional, confirmed, unverified, estimated)
                VALUES (\(day(row)), \(row).user_id, \(row).model, \(counted(row)), \(counted(row)) * \(row).prompt_tokens,
                        \(counted(row)) * \(row).completion_tokens, \(cost(row)),
                        \(count(row, "provisional")), \(count(row, "confirmed")), \(count(row, "unverified")), \(count(row, "estimated")))
                ON CONFLICT (day, user_id, model) DO UPDATE SET
                    requests = requests + excluded.requests,
                    prompt_tokens = prompt_tokens + excluded.prompt_tokens,
                    completion_tokens = completion_tokens + excluded.completion_tokens,
                    cost_nanos = cost_nanos + excluded.cost_nanos,
                    provisional = provisional + excluded.provisional,
                    confirmed = confirmed + excluded.confirmed,
                    unverified = unverified + excluded.unverified,
                    estimated = estimated + excluded.estimated;
                """
        }
        return """
            UPDATE usage_daily SET
                requests = requests - \(counted(row)),
                prompt_tokens = prompt_tokens - \(counted(row)) * \(row).prompt_tokens,
                completion_tokens = completion_tokens - \(counted(row)) * \(row).completion_tokens,
                cost_nanos = cost_nanos - \(cost(row)),
                provisional = provisional - \(count(row, "provisional")),
                confirmed = confirmed - \(count(row, "confirmed")),
                unverified = unverified - \(count(row, "unverified")),
                estimated = estimated - \(count(row, "estimated"))
            WHERE day = \(day(row)) AND user_id = \(row).user_id AND model = \(row).model;
            """
    }

    static var triggers: String {
        """
        CREATE TRIGGER generations_rollup_insert AFTER INSERT ON generations BEGIN
        \(apply("new", sign: "+"))
        END;
        CREATE TRIGGER generations_rollup_update
        AFTER UPDATE OF status, confirmed_cost_nanos, reported_cost_nanos, estimated_cost_nanos, prompt_tokens, completion_tokens,
                        created_at, user_id, model ON generations
        BEGIN
        \(apply("old", sign: "-"))
        \(apply("new", sign: "+"))
        END;
        """
    }
}
