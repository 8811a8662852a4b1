import Foundation
import GRDB

/// Files, passages, vectors and collections on the agent's SQLite database. Every read that
/// returns passages takes the set of file ids the caller may see, computed by `visibleFileIDs`.
struct KnowledgeStore: Sendable {
    let pool: DatabasePool

    // MARK: Access

    /// The SQL for the ids of files `?` may see: their own, and those their owner put into a
    /// collection shared with everyone or with them. Only a file's owner can share it: a file in
    /// someone else's collection (put there before that rule) gives nobody access, so taking a
    /// person off a collection ends every path they had to its files.
    static let visibleFilesSQL = """
        SELECT id FROM files WHERE user_id = :user
        UNION
        SELECT kf.file_id FROM knowledge_files kf JOIN knowledge k ON k.id = kf.knowledge_id
        JOIN files f ON f.id = kf.file_id AND f.user_id = k.user_id
        WHERE k.everyone OR EXISTS (SELECT 1 FROM knowledge_members m WHERE m.knowledge_id = k.id AND m.user_id = :user)
        """

    static let visibleCollectionCondition = """
        (k.user_id = :user OR k.everyone OR EXISTS (SELECT 1 FROM knowledge_members m WHERE m.knowledge_id = k.id AND m.user_id = :user))
        """

    /// Of the requested files and collections, the ids of the files `userID` may see.
    func visibleFileIDs(userID: String, files: [String], collections: [String]) async throws -> [String] {
        try await pool.read { db in
            var ids = Set<String>()
            if !files.isEmpty {
                let rows = try String.fetchAll(db, sql: "SELECT id FROM (\(Self.visibleFilesSQL)) WHERE id IN (SELECT value FROM json_each(:ids))",
                                               arguments: ["user": userID, "ids": Self.json(files)])
                ids.formUnion(rows)
            }
            if !collections.isEmpty {
                let rows = try String.fetchAll(db, sql: """
                    SELECT kf.file_id FROM knowledge_files kf JOIN knowledge k ON k.id = kf.knowledge_id
                    JOIN files f ON f.id = kf.file_id AND f.user_id = k.user_id
                    WHERE k.id IN (SELECT value FROM json_each(:ids)) AND \(Self.visibleCollectionCondition)
                    """, arguments: ["user": userID, "ids": Self.json(collections)])
                ids.formUnion(rows)
            }
            return ids.sorted()
        }
    }

    static func json(_ values: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }

    // MARK: Files

    func insert(_ file: FileRecord) async throws {
        try await pool.write { db in try file.insert(db) }
    }

    func file(id: String) async throws -> FileRecord? {
        try await pool.read { db in try FileRecord.fetchOne(db, key: id) }
    }

    /// The file if `userID` may see it.
    func visibleFile(id: String, userID: String) async throws -> FileRecord? {
        try await pool.read { db in
            try FileRecord.fetchOne(db, sql: "SELECT * FROM files WHERE id = :id AND id IN (\(Self.visibleFilesSQL))",
                                    arguments: ["id": id, "user": userID])
        }
    }

    /// The caller's own files, newest first.
    func files(ownedBy userID: String) async throws -> [FileRecord] {
        try await pool.read { db in
            try FileRecord.filter(FileRecord.CodingKeys.userID == userID).order(FileRecord.CodingKeys.createdAt.desc, FileRecord.CodingKeys.id).fetchAll(db)
        }
    }

    /// Bytes the user keeps in files (announced sizes of unfinished uploads count).
    /// Passages of the employee's files that are read, other than `fileID`.
    func passageCount(userID: String, excluding fileID: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(chunk_count), 0) FROM files WHERE user_id = ? AND id != ? AND status = 'ready'",
                             arguments: [userID, fileID]) ?? 0
        }
    }

    func usedBytes(userID: String) async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM files WHERE user_id = ?", arguments: [userID]) ?? 0
        }
    }

    func update(_ id: String, _ change: @Sendable @escaping (inout FileRecord) -> Void) async throws -> FileRecord? {
        try await pool.write { db in
            guard var file = try FileRecord.fetchOne(db, key: id) else { return nil }
            change(&file)
            try file.update(db)
            return file
        }
    }

    /// Deletes the owner's file: its passages, vectors and collection memberships go with it.
    func deleteFile(id: String, userID: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM files WHERE id = ? AND user_id = ?", arguments: [id, userID])
            return db.changesCount > 0
        }
    }

    /// The next file waiting for extraction, marked `processing`.
    func claimQueued(now: Int64) async throws -> FileRecord? {
        try await pool.write { db in
            guard var file = try FileRecord.fetchOne(db, sql: "SELECT * FROM files WHERE status = 'queued' ORDER BY updated_at, id LIMIT 1") else { return nil }
            file.status = .processing
            file.updatedAt = now
            try file.update(db)
            try db.execute(sql: "UPDATE files SET attempts = attempts + 1 WHERE id = ?", arguments: [file.id])
            return file
        }
    }

    /// Every readable file is read and cut again (after a change of chunk size or overlap).
    func requeueReady(now: Int64) async throws {
        try await pool.write { db in try db.execute(sql: "UPDATE files SET status = 'queued', updated_at = ? WHERE status = 'ready'", arguments: [now]) }
    }

    /// How many times a file's extraction may be started before a stop in the middle of it is
    /// taken as the file's doing.
    static let maximumAttempts = 2

    /// Files left `processing` by a stop are queued again — unless they were already being read
    /// when the agent stopped before (`maximumAttempts`): those are marked failed, so no file can
    /// put the agent into a crash loop under its restart policy.
    func requeueInterrupted() async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE files SET status = 'failed', error_code = 'crashed',
                  error = 'Reading this file stopped the server, so it was not tried again. Upload a smaller or simpler version of it.'
                WHERE status = 'processing' AND attempts >= ?
                """, arguments: [Self.maximumAttempts])
            try db.execute(sql: "UPDATE files SET status = 'queued' WHERE status = 'processing'")
        }
    }

    /// Replaces the file's passages and marks it ready, in one transaction.
    func storePassages(fileID: String, kind: DocumentKind, pages: Int, chunkSize: Int, chunks: [Chunker.Chunk], now: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM file_chunks WHERE file_id = ?", arguments: [fileID])
            let statement = try db.makeStatement(sql: "INSERT INTO file_chunks (file_id, ordinal, unit, number, label, text) VALUES (?, ?, ?, ?, ?, ?)")
            for (ordinal, chunk) in chunks.enumerated() {
                try statement.execute(arguments: [fileID, ordinal, chunk.unit, chunk.number, chunk.label, chunk.text])
            }
            try db.execute(sql: """
                UPDATE files SET status = 'ready', kind = ?, pages = ?, chunk_count = ?, chunk_size = ?, error = NULL, error_code = NULL, updated_at = ?,
                  attempts = 0
                WHERE id = ?
                """, arguments: [kind.rawValue, pages, chunks.count, chunkSize, now, fileID])
        }
    }

    // MARK: Passages

    /// BM25 ranking (best first) of passages of `fileIDs` matching `match`.
    func bm25(match: String, fileIDs: [String], limit: Int) async throws -> [(id: Int64, score: Double)] {
        guard !fileIDs.isEmpty else { return [] }
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.rowid AS id, bm25(file_chunks_fts) AS score
                FROM file_chunks_fts f JOIN file_chunks c ON c.id = f.rowid
                WHERE file_chunks_fts MATCH :match AND c.file_id IN (SELECT value FROM json_each(:files))
                ORDER BY score LIMIT :limit
                """, arguments: ["match": match, "files": Self.json(fileIDs), "limit": limit]).map { (id: $0["id"] as Int64, score: -($0["score"] as Double)) }
        }
    }

    func passages(ids: [Int64]) async throws -> [Int64: PassageRow] {
        guard !ids.isEmpty else { return [:] }
        return try await pool.read { db in
            let rows = try PassageRow.fetchAll(db, sql: """
                SELECT c.id, c.file_id, f.filename, c.ordinal, c.unit, c.number, c.label, c.text
                FROM file_chunks c JOIN files f ON f.id = c.file_id
                WHERE c.id IN (SELECT value FROM json_each(?))
                """, arguments: [String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0) })
        }
    }

    /// One passage if `userID` may see its file.
    func visiblePassage(id: Int64, userID: String) async throws -> PassageRow? {
        try await pool.read { db in
            try PassageRow.fetchOne(db, sql: """
                SELECT c.id, c.file_id, f.filename, c.ordinal, c.unit, c.number, c.label, c.text
                FROM file_chunks c JOIN files f ON f.id = c.file_id
                WHERE c.id = :id AND c.file_id IN (\(Self.visibleFilesSQL))
                """, arguments: ["id": id, "user": userID])
        }
    }

    // MARK: Vectors

    /// Passages of ready files without a vector for `model` (or with another model's).
    func passagesNeedingVectors(model: String, limit: Int) async throws -> [(id: Int64, text: String)] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.id, c.text FROM file_chunks c JOIN files f ON f.id = c.file_id AND f.status = 'ready'
                LEFT JOIN chunk_vectors v ON v.chunk_id = c.id
                WHERE v.chunk_id IS NULL OR v.model != ?
                ORDER BY c.id LIMIT ?
                """, arguments: [model, limit]).map { (id: $0["id"] as Int64, text: $0["text"] as String) }
        }
    }

    func storeVectors(_ vectors: [(id: Int64, vector: [Float])], model: String) async throws {
        try await pool.write { db in
            let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO chunk_vectors (chunk_id, model, vector) VALUES (?, ?, ?)")
            for (id, vector) in vectors {
                try statement.execute(arguments: [id, model, VectorCodec.encode(vector)])
            }
        }
    }

    // MARK: Sources of answers

    func saveSources(messageID: String, json: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO message_sources (message_id, sources) VALUES (?, ?)", arguments: [messageID, json])
        }
    }

    /// Sources of the chat's answers, by message id (the chat must be the user's).
    func sources(chatID: String, userID: String) async throws -> [String: String] {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT s.message_id, s.sources FROM message_sources s JOIN chat_messages m ON m.id = s.message_id
                JOIN chats c ON c.id = m.chat_id WHERE c.id = ? AND c.user_id = ?
                """, arguments: [chatID, userID])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["message_id"] as String, $0["sources"] as String) })
        }
    }
}

/// float32 vectors as little-endian bytes.
enum VectorCodec {
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(capacity: vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
        return data
    }

    static func decode(_ data: Data) -> [Float] {
        let count = data.count / 4
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
