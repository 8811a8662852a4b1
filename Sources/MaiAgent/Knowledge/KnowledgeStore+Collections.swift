import Foundation
import GRDB

/// A collection with its files and the employees it is shared with.
struct CollectionDetail: Sendable {
    var record: KnowledgeRecord
    var fileIDs: [String]
    var memberIDs: [String]
}

extension KnowledgeStore {
    func insert(_ collection: KnowledgeRecord) async throws {
        try await pool.write { db in try collection.insert(db) }
    }

    /// Collections `userID` may see (own, shared with everyone, shared with them), newest first.
    func collections(visibleTo userID: String) async throws -> [CollectionDetail] {
        try await pool.read { db in
            let records = try KnowledgeRecord.fetchAll(db, sql: """
                SELECT k.* FROM knowledge k WHERE \(Self.visibleCollectionCondition) ORDER BY k.updated_at DESC, k.id
                """, arguments: ["user": userID])
            return try records.map { try Self.detail($0, db) }
        }
    }

    func collection(id: String, visibleTo userID: String) async throws -> CollectionDetail? {
        try await pool.read { db in
            guard let record = try KnowledgeRecord.fetchOne(db, sql: "SELECT k.* FROM knowledge k WHERE k.id = :id AND \(Self.visibleCollectionCondition)",
                                                            arguments: ["id": id, "user": userID]) else { return nil }
            return try Self.detail(record, db)
        }
    }

    static func detail(_ record: KnowledgeRecord, _ db: Database) throws -> CollectionDetail {
        CollectionDetail(
            record: record,
            fileIDs: try String.fetchAll(db, sql: "SELECT file_id FROM knowledge_files WHERE knowledge_id = ? ORDER BY file_id", arguments: [record.id]),
            memberIDs: try String.fetchAll(db, sql: "SELECT user_id FROM knowledge_members WHERE knowledge_id = ? ORDER BY user_id", arguments: [record.id])
        )
    }

    /// Changes the owner's collection; `members` replaces the list when given (unknown user ids are refused).
    func updateCollection(id: String, ownerID: String, now: Int64, name: String?, description: String?, everyone: Bool?, members: [String]?) async throws -> CollectionDetail? {
        try await pool.write { db in
            guard var record = try KnowledgeRecord.fetchOne(db, sql: "SELECT * FROM knowledge WHERE id = ? AND user_id = ?", arguments: [id, ownerID]) else { return nil }
            if let name { record.name = name }
            if let description { record.description = description }
            if let everyone { record.everyone = everyone }
            record.updatedAt = now
            try record.update(db)
            if let members {
                let known = try String.fetchAll(db, sql: "SELECT id FROM users WHERE id IN (SELECT value FROM json_each(?))", arguments: [Self.json(members)])
                if let unknown = Set(members).subtracting(known).first {
                    throw APIError(.unprocessableContent, "No employee has the id '\(unknown.prefix(40))'. Pick people from the list of users.")
                }
                try db.execute(sql: "DELETE FROM knowledge_members WHERE knowledge_id = ?", arguments: [id])
                for member in Set(members) where member != ownerID {
                    try db.execute(sql: "INSERT INTO knowledge_members (knowledge_id, user_id) VALUES (?, ?)", arguments: [id, member])
                }
            }
            return try Self.detail(record, db)
        }
    }

    /// Adds one of the owner's own files to their own collection. A file someone shared with you
    /// stays theirs: you cannot pass it on (share it further, or keep it after they take you off).
    func addFile(collectionID: String, fileID: String, ownerID: String, now: Int64) async throws -> CollectionDetail? {
        try await pool.write { db in
            guard var record = try KnowledgeRecord.fetchOne(db, sql: "SELECT * FROM knowledge WHERE id = ? AND user_id = ?", arguments: [collectionID, ownerID]) else { return nil }
            let own = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM files WHERE id = ? AND user_id = ?)", arguments: [fileID, ownerID]) ?? false
            guard own else {
                let visible = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM (\(Self.visibleFilesSQL)) WHERE id = :file)",
                                                arguments: ["user": ownerID, "file": fileID]) ?? false
                if visible {
                    throw APIError(.forbidden, "Only the person who uploaded a file can put it into a collection. Ask them to add it to theirs, or upload your own copy.")
                }
                throw APIError(.notFound, "No such file. Upload it first with POST /api/v1/files/.")
            }
            try db.execute(sql: "INSERT OR IGNORE INTO knowledge_files (knowledge_id, file_id) VALUES (?, ?)", arguments: [collectionID, fileID])
            record.updatedAt = now
            try record.update(db)
            return try Self.detail(record, db)
        }
    }

    /// Takes a file out of the owner's collection; the file itself (passages, vectors) is deleted
    /// too when the owner uploaded it and no other collection holds it, as Open WebUI does.
    func removeFile(collectionID: String, fileID: String, ownerID: String, deleteFile: Bool, now: Int64) async throws -> CollectionDetail? {
        try await pool.write { db in
            guard var record = try KnowledgeRecord.fetchOne(db, sql: "SELECT * FROM knowledge WHERE id = ? AND user_id = ?", arguments: [collectionID, ownerID]) else { return nil }
            try db.execute(sql: "DELETE FROM knowledge_files WHERE knowledge_id = ? AND file_id = ?", arguments: [collectionID, fileID])
            if deleteFile { try Self.deleteOrphan(fileID: fileID, ownerID: ownerID, db) }
            record.updatedAt = now
            try record.update(db)
            return try Self.detail(record, db)
        }
    }

    /// Deletes the owner's collection and the files only it held (with their passages and vectors).
    func deleteCollection(id: String, ownerID: String) async throws -> Bool {
        try await pool.write { db in
            guard try KnowledgeRecord.fetchOne(db, sql: "SELECT * FROM knowledge WHERE id = ? AND user_id = ?", arguments: [id, ownerID]) != nil else { return false }
            let files = try String.fetchAll(db, sql: "SELECT file_id FROM knowledge_files WHERE knowledge_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM knowledge WHERE id = ?", arguments: [id])
            for file in files { try Self.deleteOrphan(fileID: file, ownerID: ownerID, db) }
            return true
        }
    }

    private static func deleteOrphan(fileID: String, ownerID: String, _ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM files WHERE id = ? AND user_id = ? AND NOT EXISTS (SELECT 1 FROM knowledge_files WHERE file_id = files.id)
            """, arguments: [fileID, ownerID])
    }
}
