import Foundation
import GRDB

/// When each OpenRouter key was set on this agent (`openrouter_key_set`), so maictl can show a key's
/// age. A key from the environment was never "set" through the agent: its time is when the agent
/// first reported it.
struct KeySetTimes: Sendable {
    let pool: DatabasePool

    /// Records that the key with `hash` was set now (keeps an earlier time for the same key).
    func recordSet(hash: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO openrouter_key_set (key_hash, set_at) VALUES (?, ?) ON CONFLICT (key_hash) DO NOTHING",
                           arguments: [hash, now])
        }
    }

    /// When the key with `hash` was set; recorded as `now` the first time a key is asked about.
    func setAt(hash: String, now: Int64) async throws -> Date {
        if let known = try await pool.read({ db in
            try Int64.fetchOne(db, sql: "SELECT set_at FROM openrouter_key_set WHERE key_hash = ?", arguments: [hash])
        }) {
            return Date(timeIntervalSince1970: TimeInterval(known))
        }
        try await recordSet(hash: hash, now: now)
        let stored = try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT set_at FROM openrouter_key_set WHERE key_hash = ?", arguments: [hash])
        }
        return Date(timeIntervalSince1970: TimeInterval(stored ?? now))
    }
}
