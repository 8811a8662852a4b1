import Foundation
import GRDB
import MaiCore

/// Settles the requests OpenRouter never named from its own per-key record (`/activity`, which
/// maictl reads with the management key): per (day, model, key), the requests and cost OpenRouter
/// counted beyond the agent's confirmed rows belong to the agent's unnamed rows of that cell.
///
/// - Only when every named row of the cell is confirmed (otherwise the difference is not known yet).
/// - The first `min(extra requests, unnamed rows)` unnamed rows (oldest first) are confirmed with the
///   extra cost and tokens split evenly (the remainder on the first); the other unnamed rows never
///   reached OpenRouter: they become `refused` (nothing spent, nothing counted).
/// - Settled rows are confirmed, so a second settlement with the same record changes nothing.
///
/// Per client and day the books then equal OpenRouter's record exactly; which employee an unnamed
/// request's cost lands on follows the agent's own rows.
struct UsageSettlement: Sendable {
    let pool: DatabasePool

    func settle(_ request: AdminSettlementRequest, now: Int64) async throws -> AdminSettlementResult {
        try await pool.write { db in
            var results: [AdminSettlementResult.Item] = []
            // `/activity` may list a (day, model) once per provider endpoint: one cell each.
            var cells: [String: AdminSettlementRequest.Item] = [:]
            for item in request.items {
                let key = item.day + "\u{1F}" + item.model
                if var cell = cells[key] {
                    cell.requests += item.requests
                    cell.promptTokens += item.promptTokens
                    cell.completionTokens += item.completionTokens
                    cell.usage += item.usage
                    cells[key] = cell
                } else {
                    cells[key] = item
                }
            }
            for cell in cells.values.sorted(by: { ($0.day, $0.model) < ($1.day, $1.model) }) {
                results.append(try Self.settle(db, keyHash: request.keyHash, cell: cell, now: now))
            }
            return AdminSettlementResult(items: results)
        }
    }

    static func settle(_ db: Database, keyHash: String, cell: AdminSettlementRequest.Item, now: Int64) throws -> AdminSettlementResult.Item {
        guard let start = UsagePruner.isDay(cell.day) ? UsagePruner.cutoff(cell.day) : nil else {
            return .init(day: cell.day, model: cell.model, settled: 0, dropped: 0, amount: .zero, note: "not a day")
        }
        let window: StatementArguments = [keyHash, cell.model, start, start + 86_400]
        let scope = "key_hash = ? AND model = ? AND created_at >= ? AND created_at < ?"
        let pending = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM generations WHERE \(scope) AND upstream_id IS NOT NULL AND status IN ('provisional', 'unverified')
            """, arguments: window) ?? 0
        let unnamed = try String.fetchAll(db, sql: """
            SELECT id FROM generations WHERE \(scope) AND upstream_id IS NULL AND status IN ('provisional', 'unverified')
              AND finish_reason != 'streaming' ORDER BY created_at, id
            """, arguments: window)
        guard !unnamed.isEmpty else {
            return .init(day: cell.day, model: cell.model, settled: 0, dropped: 0, amount: .zero, note: nil)
        }
        guard pending == 0 else {
            return .init(day: cell.day, model: cell.model, settled: 0, dropped: 0, amount: .zero,
                         note: "\(pending) named request(s) still wait for OpenRouter's confirmation: settle again later")
        }
        let named = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), COALESCE(SUM(confirmed_cost_nanos), 0), COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0)
            FROM generations WHERE \(scope) AND status = 'confirmed' AND (upstream_id IS NOT NULL OR provider_name = 'OpenRouter activity')
            """, arguments: window)!
        let extraRequests = cell.requests - (named[0] as Int)
        let extraNanos = cell.usage.nanos - (named[1] as Int64)
        let extraPrompt = max(0, cell.promptTokens - (named[2] as Int))
        let extraCompletion = max(0, cell.completionTokens - (named[3] as Int))
        let settled = extraRequests > 0 && extraNanos >= 0 ? min(extraRequests, unnamed.count) : 0
        for (index, id) in unnamed.enumerated() {
            if index < settled {
                let share = { (total: Int64) -> Int64 in total / Int64(settled) + (index == 0 ? total % Int64(settled) : 0) }
                try db.execute(sql: """
                    UPDATE generations SET status = 'confirmed', confirmed_cost_nanos = ?, prompt_tokens = ?, completion_tokens = ?,
                           tokens_estimated = 0, provider_name = 'OpenRouter activity', confirmed_at = ?, next_attempt_at = ?,
                           last_error = 'settled from OpenRouter''s activity record (the request was never named)'
                    WHERE id = ?
                    """, arguments: [share(extraNanos), Int(share(Int64(extraPrompt))), Int(share(Int64(extraCompletion))), now, Int64.max, id])
            } else {
                try db.execute(sql: """
                    UPDATE generations SET status = 'refused', next_attempt_at = ?,
                           last_error = 'OpenRouter''s activity record has no such request: it never reached OpenRouter'
                    WHERE id = ?
                    """, arguments: [Int64.max, id])
            }
        }
        return .init(day: cell.day, model: cell.model, settled: settled, dropped: unnamed.count - settled,
                     amount: Money(nanos: settled > 0 ? extraNanos : 0), note: nil)
    }
}
