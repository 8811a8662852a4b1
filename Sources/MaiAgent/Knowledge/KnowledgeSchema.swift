import GRDB

/// Tables of migration `v5-knowledge`: uploaded files, their passages with an FTS5 index kept by
/// triggers, embedding vectors, collections with sharing, and the sources cited by answers.
enum KnowledgeSchema {
    static func create(_ db: Database) throws {
        try db.create(table: "files") { t in
            t.primaryKey("id", .text)
            t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
            t.column("filename", .text).notNull()
            // Decided from the bytes once complete (DocumentKind); NULL while uploading.
            t.column("kind", .text)
            // Size announced by a resumable upload, or the final size.
            t.column("size", .integer).notNull()
            t.column("received", .integer).notNull().defaults(to: 0)
            t.column("sha256", .text)
            t.column("status", .text).notNull()
                .check(sql: "status IN ('uploading', 'queued', 'processing', 'ready', 'failed')")
            t.column("error_code", .text)
            t.column("error", .text)
            t.column("pages", .integer).notNull().defaults(to: 0)
            t.column("chunk_count", .integer).notNull().defaults(to: 0)
            // Settings the passages were cut with, so a change of chunk size can re-index.
            t.column("chunk_size", .integer).notNull().defaults(to: 0)
            t.column("created_at", .integer).notNull()
            t.column("updated_at", .integer).notNull()
        }
        try db.create(index: "files_owner", on: "files", columns: ["user_id", "created_at"])
        try db.create(index: "files_status", on: "files", columns: ["status"])

        try db.create(table: "file_chunks") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("file_id", .text).notNull().references("files", onDelete: .cascade)
            t.column("ordinal", .integer).notNull()
            // page / slide / sheet and its number, for citations.
            t.column("unit", .text)
            t.column("number", .integer)
            t.column("label", .text)
            t.column("text", .text).notNull()
        }
        try db.create(index: "file_chunks_file", on: "file_chunks", columns: ["file_id", "ordinal"])
        // BM25 over the passages; external content, kept by triggers (cascade deletes fire them too).
        try db.execute(sql: """
            CREATE VIRTUAL TABLE file_chunks_fts USING fts5(
                text, content='file_chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
            CREATE TRIGGER file_chunks_ai AFTER INSERT ON file_chunks BEGIN
                INSERT INTO file_chunks_fts(rowid, text) VALUES (new.id, new.text);
            END;
            CREATE TRIGGER file_chunks_ad AFTER DELETE ON file_chunks BEGIN
                INSERT INTO file_chunks_fts(file_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
            END;
            """)
        try db.create(table: "chunk_vectors") { t in
            t.primaryKey("chunk_id", .integer).references("file_chunks", onDelete: .cascade)
            t.column("model", .text).notNull()
            // Little-endian float32 values.
            t.column("vector", .blob).notNull()
        }
        try db.create(index: "chunk_vectors_model", on: "chunk_vectors", columns: ["model"])

        try db.create(table: "knowledge") { t in
            t.primaryKey("id", .text)
            t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
            t.column("name", .text).notNull()
            t.column("description", .text).notNull().defaults(to: "")
            // Shared with every employee.
            t.column("everyone", .boolean).notNull().defaults(to: false)
            t.column("created_at", .integer).notNull()
            t.column("updated_at", .integer).notNull()
        }
        try db.create(index: "knowledge_owner", on: "knowledge", columns: ["user_id"])
        try db.create(table: "knowledge_files") { t in
            t.column("knowledge_id", .text).notNull().references("knowledge", onDelete: .cascade)
            t.column("file_id", .text).notNull().references("files", onDelete: .cascade)
            t.primaryKey(["knowledge_id", "file_id"])
        }
        try db.create(index: "knowledge_files_file", on: "knowledge_files", columns: ["file_id"])
        // Employees a collection is shared with (besides its owner).
        try db.create(table: "knowledge_members") { t in
            t.column("knowledge_id", .text).notNull().references("knowledge", onDelete: .cascade)
            t.column("user_id", .text).notNull().references("users", onDelete: .cascade)
            t.primaryKey(["knowledge_id", "user_id"])
        }
        try db.create(index: "knowledge_members_user", on: "knowledge_members", columns: ["user_id"])
        // The passages an answer was given, in citation order ([1], [2], …), as JSON.
        try db.create(table: "message_sources") { t in
            t.primaryKey("message_id", .text).references("chat_messages", onDelete: .cascade)
            t.column("sources", .text).notNull()
        }
    }
}
