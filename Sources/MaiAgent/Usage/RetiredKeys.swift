import Foundation
import GRDB

/// OpenRouter keys that were replaced, kept sealed only to confirm the generations they served.
struct RetiredKeys: Sendable {
    let pool: DatabasePool
    let sealer: KeySealer

    struct Key: Sendable {
        var hash: String
        var baseURL: String
        var key: String
    }

    func all() async throws -> [Key] {
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT key_hash, base_url, key_sealed FROM openrouter_keys")
                .map { row -> (hash: String, baseURL: String, sealed: Data) in (row[0], row[1], row[2]) }
        }
        return rows.compactMap { row in
            guard let key = sealer.open(row.sealed) else { return nil }
            return Key(hash: row.hash, baseURL: row.baseURL, key: key)
        }
    }

    /// Keeps `key` for confirmations after it stops serving new requests.
    func retire(key: String, baseURL: String, now: Int64) async throws {
        let sealed = try sealer.seal(key)
        let hash = TokenService.sha256Hex(key)
        try await pool.write { db in
            try db.execute(sql: """
                INSERT INTO openrouter_keys (key_hash, key_sealed, base_url, retired_at, created_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (key_hash) DO UPDATE SET retired_at = excluded.retired_at
                """, arguments: [hash, sealed, baseURL, now, now])
        }
    }

    /// Provisional rows left per key hash.
    func pendingByKey() async throws -> [String: Int] {
        try await pool.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key_hash, COUNT(*) FROM generations WHERE status = 'provisional' AND key_hash IS NOT NULL GROUP BY key_hash") {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }
}
