import Crypto
import Foundation
import GRDB
import Logging
import MaiCore
import ServiceLifecycle
import Synchronization

/// Confirms provisional OpenRouter generations with `GET /generation?id=` — every
/// `USAGE_SYNC_INTERVAL` seconds and on demand. All state lives in `generations`, so a restart (or a
/// `kill -9`) resumes where it stopped: a row is confirmed by one UPDATE … WHERE status =
/// 'provisional', in the same transaction as its roll-up and external-user bookkeeping, so nothing
/// is lost and nothing counted twice.
///
/// 404 means "not ready yet" (retry later); 429 pauses the whole run for `Retry-After`; 5xx, timeouts
/// and network errors back off exponentially per row; after 24 hours without an answer a row becomes
/// `unverified`, its streamed cost standing.
final class ConfirmationService: Service, Sendable {
    struct RunResult: Sendable, Equatable, Codable {
        var confirmed = 0
        var notReady = 0
        var failed = 0
        var unverified = 0
        var remaining = 0
        var rateLimited = false
        var finishedAt: Int64 = 0
    }

    let pool: DatabasePool
    let http: UpstreamHTTP
    let connections: ConnectionStore
    let retiredKeys: RetiredKeys
    let clock: AgentClock
    let logger: Logger
    let interval: Duration
    let instance: String
    let concurrency: Int
    let batchSize: Int
    /// Rows unanswered for this long become unverified.
    let giveUpAfter: Int64

    private let running = Mutex(false)
    private let pausedUntil = Mutex<Int64>(0)
    private let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    init(pool: DatabasePool, http: UpstreamHTTP, connections: ConnectionStore, retiredKeys: RetiredKeys, clock: AgentClock,
         logger: Logger, interval: Duration, instance: String, concurrency: Int = 8, batchSize: Int = 200, giveUpAfter: Int64 = 86_400) {
        self.concurrency = concurrency
        self.batchSize = batchSize
        self.giveUpAfter = giveUpAfter
        self.pool = pool
        self.http = http
        self.connections = connections
        self.retiredKeys = retiredKeys
        self.clock = clock
        self.logger = logger
        self.interval = interval
        self.instance = instance
        (self.wakes, self.wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// The background loop: a run, then wait for the interval (or an early wake), until shutdown.
    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.runOnce()
                } catch {
                    self.logger.error("usage confirmation run failed", metadata: ["mai.op": "usage.sync", "error": "\(error)"])
                }
                // Sleep for the interval unless woken earlier (the stream yields on demand).
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await Task.sleep(for: self.interval) }
                    group.addTask { for await _ in self.wakes { return } }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    /// Asks the loop to run soon (e.g. right after a stream ended).
    func nudge() {
        wake.yield()
    }

    /// One pass over every due provisional row. Runs never overlap: a second caller waits for nothing
    /// and gets an empty result with the remaining count. With `keyHash`, that key's provisional rows
    /// are looked up first even if their next attempt is not due (a key rotation draining the old
    /// key asks for this); the rest of the run is as usual.
    func runOnce(forcing keyHash: String? = nil) async throws -> RunResult {
        guard running.withLock({ busy in
            if busy { return false }
            busy = true
            return true
        }) else {
            return RunResult(remaining: try await remaining(), finishedAt: clock.seconds)
        }
        defer { running.withLock { $0 = false } }
        var result = RunResult()
        let keys = try await availableKeys()
        let pseudonyms = try await localPseudonyms()
        var forced = keyHash
        while !Task.isCancelled {
            let now = clock.seconds
            if pausedUntil.withLock({ $0 }) > now { result.rateLimited = true; break }
            let only = forced
            forced = nil  // forced for the first batch only: a row not ready yet must not loop
            let due = try await pool.read { db in
                var request = GenerationRecord
                    .filter(GenerationRecord.CodingKeys.status == GenerationStatus.provisional.rawValue)
                if let only {
                    request = request.filter(GenerationRecord.CodingKeys.keyHash == only)
                } else {
                    request = request.filter(GenerationRecord.CodingKeys.nextAttemptAt <= now)
                }
                return try request
                    .order(GenerationRecord.CodingKeys.createdAt)
                    .limit(self.batchSize)
                    .fetchAll(db)
            }
            if due.isEmpty {
                if only != nil { continue }
                break
            }
            // Each answer is written as soon as it arrives: a run killed midway keeps what it confirmed.
            var batch = result
            batch = try await withThrowingTaskGroup(of: Outcome.self) { group -> RunResult in
                var counts = batch
                var iterator = due.makeIterator()
                for _ in 0..<concurrency {
                    guard let row = iterator.next() else { break }
                    group.addTask { await self.confirm(row, keys: keys, now: now) }
                }
                while let outcome = try await group.next() {
                    if case .rateLimited = outcome { counts.rateLimited = true }
                    try await apply(outcome, pseudonyms: pseudonyms, now: now, result: &counts)
                    if counts.rateLimited || pausedUntil.withLock({ $0 }) > clock.seconds { continue }
                    if let row = iterator.next() { group.addTask { await self.confirm(row, keys: keys, now: now) } }
                }
                return counts
            }
            result = batch
            if result.rateLimited { break }
        }
        result.remaining = try await remaining()
        result.finishedAt = clock.seconds
        try await record(result)
        if result.confirmed + result.failed + result.unverified > 0 || result.rateLimited {
            logger.info("usage confirmation run", metadata: [
                "mai.op": "usage.sync", "confirmed": "\(result.confirmed)", "not_ready": "\(result.notReady)",
                "failed": "\(result.failed)", "unverified": "\(result.unverified)", "remaining": "\(result.remaining)",
            ])
        }
        return result
    }

    enum Outcome: Sendable {
        case confirmed(GenerationRecord, GenerationStats)
        case notReady(GenerationRecord)
        case failed(GenerationRecord, String)
        case rateLimited(GenerationRecord, retryAfter: Int64)
    }

    /// OpenRouter's generation record, the parts we keep.
    struct GenerationStats: Decodable, Sendable {
        struct Payload: Decodable, Sendable {
            var total_cost: Decimal?
            var native_tokens_prompt: Int?
            var native_tokens_completion: Int?
            var tokens_prompt: Int?
            var tokens_completion: Int?
            var provider_name: String?
            var external_user: String?
        }
        var data: Payload
    }

    private func confirm(_ row: GenerationRecord, keys: [String: (baseURL: String, key: String)], now: Int64) async -> Outcome {
        guard let id = row.upstreamID else { return .failed(row, "no generation id to confirm") }
        guard let hash = row.keyHash, let key = keys[hash] else {
            return .failed(row, "the OpenRouter key that served it is no longer available")
        }
        let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? id
        do {
            let stats = try await http.json(GenerationStats.self, .GET, "\(key.baseURL)/generation?id=\(encoded)",
                                            headers: [("Authorization", "Bearer \(key.key)")])
            return .confirmed(row, stats)
        } catch let error as ProviderError {
            switch error.status {
            case 404: return .notReady(row)
            case 429:
                let wait = Int64(error.retryAfter ?? 30)
                pausedUntil.withLock { $0 = max($0, now + wait) }
                return .rateLimited(row, retryAfter: wait)
            default: return .failed(row, "\(error.status): \(error.message)")
            }
        } catch {
            return .failed(row, "\(error)")
        }
    }

    /// Seconds before the next attempt after `attempts` failures: 15 s doubling, at most an hour.
    static func backoff(attempts: Int) -> Int64 {
        min(3600, 15 << Int64(min(max(attempts - 1, 0), 12)))
    }

    private func apply(_ outcome: Outcome, pseudonyms: [String: String], now: Int64, result: inout RunResult) async throws {
        switch outcome {
        case .confirmed(let row, let stats):
            guard let cost = stats.data.total_cost.flatMap(Money.init) else {
                try await retry(row, error: "OpenRouter answered without total_cost", now: now, result: &result, counts: \.failed)
                return
            }
            let external = stats.data.external_user
            let confirmedNow = try await pool.write { db -> Bool in
                try db.execute(
                    sql: """
                        UPDATE generations SET status = 'confirmed', confirmed_cost_nanos = ?, native_prompt_tokens = ?,
                               native_completion_tokens = ?, provider_name = ?, confirmed_at = ?, last_error = NULL,
                               attempts = attempts + 1,
                               -- A row booked at the start of an answer the agent never finished (it died):
                               -- OpenRouter's counts replace the estimates.
                               prompt_tokens = CASE WHEN finish_reason = 'streaming' THEN COALESCE(?, prompt_tokens) ELSE prompt_tokens END,
                               completion_tokens = CASE WHEN finish_reason = 'streaming' THEN COALESCE(?, completion_tokens) ELSE completion_tokens END,
                               finish_reason = CASE WHEN finish_reason = 'streaming' THEN 'interrupted' ELSE finish_reason END
                        WHERE id = ? AND status = 'provisional'
                        """,
                    arguments: [cost.nanos, stats.data.native_tokens_prompt, stats.data.native_tokens_completion,
                                stats.data.provider_name, now, stats.data.tokens_prompt, stats.data.tokens_completion, row.id]
                )
                guard db.changesCount == 1 else { return false }
                if let external, !external.isEmpty, pseudonyms[external] == nil {
                    try db.execute(sql: """
                        INSERT INTO external_users (external_user, first_seen, last_seen, requests, cost_nanos) VALUES (?, ?, ?, 1, ?)
                        ON CONFLICT (external_user) DO UPDATE SET last_seen = excluded.last_seen, requests = requests + 1,
                            cost_nanos = cost_nanos + excluded.cost_nanos
                        """, arguments: [external, row.createdAt, row.createdAt, cost.nanos])
                }
                return true
            }
            if confirmedNow { result.confirmed += 1 }
        case .notReady(let row):
            try await retry(row, error: "not ready yet", now: now, result: &result, counts: \.notReady)
        case .failed(let row, let message):
            try await retry(row, error: message, now: now, result: &result, counts: \.failed)
        case .rateLimited:
            break  // the row keeps its schedule; the whole run pauses
        }
    }

    private func retry(_ row: GenerationRecord, error: String, now: Int64, result: inout RunResult, counts: WritableKeyPath<RunResult, Int>) async throws {
        let attempts = row.attempts + 1
        let giveUp = now - row.createdAt >= giveUpAfter
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE generations SET attempts = ?, next_attempt_at = ?, last_error = ?, status = ?
                    WHERE id = ? AND status = 'provisional'
                    """,
                arguments: [attempts, now + Self.backoff(attempts: attempts), String(error.prefix(300)),
                            giveUp ? GenerationStatus.unverified.rawValue : GenerationStatus.provisional.rawValue, row.id]
            )
        }
        if giveUp { result.unverified += 1 } else { result[keyPath: counts] += 1 }
    }

    private func remaining() async throws -> Int {
        try await pool.read { db in
            try GenerationRecord.filter(GenerationRecord.CodingKeys.status == GenerationStatus.provisional.rawValue).fetchCount(db)
        }
    }

    /// Keys by hash: the OpenRouter connections' current keys and the retired ones kept for this.
    private func availableKeys() async throws -> [String: (baseURL: String, key: String)] {
        var keys: [String: (baseURL: String, key: String)] = [:]
        for retired in try await retiredKeys.all() { keys[retired.hash] = (retired.baseURL, retired.key) }
        for connection in try await connections.all() where connection.kind == .openrouter {
            if let key = connection.apiKey?.value { keys[TokenService.sha256Hex(key)] = (connection.baseURL, key) }
        }
        return keys
    }

    /// The pseudonym of every local account (deleted accounts' usage then shows as outside).
    private func localPseudonyms() async throws -> [String: String] {
        let ids = try await pool.read { db in try String.fetchAll(db, sql: "SELECT id FROM users") }
        var map: [String: String] = [:]
        for id in ids { map[CompletionService.externalUser(instance: instance, userID: id)] = id }
        return map
    }

    private func record(_ result: RunResult) async throws {
        let text = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        try await pool.write { db in
            try SettingRecord(key: "USAGE_LAST_RUN", value: text, updatedAt: result.finishedAt, updatedBy: nil).save(db)
        }
    }
}
