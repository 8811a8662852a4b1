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
/// `unverified`, its streamed cost standing for now, and is still asked about every 6 hours for 30
/// days: OpenRouter's figures (cost and tokens) win whenever they arrive. A row OpenRouter never
/// named (no generation id) is left to `maictl usage reconcile`, which holds the activity record.
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
    private let wake = WakeSignal()
    private let latest = Mutex<RunResult?>(nil)
    private let latestActive = Mutex<RunResult?>(nil)
    private let passes = Mutex(0)

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
    }

    /// The background loop: a run, then wait for the interval (or an early wake), until shutdown.
    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.runOnce()
                } catch {
                    self.logger.error("usage confirmation run failed", metadata: ["mai.op": "usage.sync", "error": "\(error)"])
                }
                // Sleep for the interval unless woken earlier (`nudge`). Idle means idle: a run
                // that found nothing due read one index and wrote nothing.
                await self.wake.wait(for: self.interval)
            }
        }
    }

    /// Asks the loop to run soon (e.g. right after a stream ended).
    func nudge() {
        wake.signal()
    }

    /// Runs started since launch (an idle loop must not spin: tests and the idle benchmark watch it).
    var runCount: Int { passes.withLock { $0 } }

    /// The last run's result, idle or not (kept in memory: an idle run writes nothing).
    var lastRun: RunResult? { latest.withLock { $0 } }

    /// The last run that did something (also written to the database as `USAGE_LAST_RUN`).
    var lastActiveRun: RunResult? { latestActive.withLock { $0 } }

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
        passes.withLock { $0 += 1 }
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
                // Unverified rows stay due too: confirmation never gives up on money.
                var request = GenerationRecord
                    .filter([GenerationStatus.provisional.rawValue, GenerationStatus.unverified.rawValue].contains(GenerationRecord.CodingKeys.status))
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
        latest.withLock { $0 = result }
        if result.confirmed + result.notReady + result.failed + result.unverified > 0 || result.rateLimited {
            latestActive.withLock { $0 = result }
            try await record(result)
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
        /// The request left but OpenRouter never named the generation (cancelled or cut before the
        /// response head, or the agent died): only OpenRouter's activity record can settle it.
        case unnamed(GenerationRecord)
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
            /// When OpenRouter began the generation (ISO 8601): the day it is booked on.
            var created_at: String?
        }
        var data: Payload
    }

    private func confirm(_ row: GenerationRecord, keys: [String: (baseURL: String, key: String)], now: Int64) async -> Outcome {
        guard let id = row.upstreamID else { return .unnamed(row) }
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

    /// Unix seconds of an ISO 8601 time, with or without fractional seconds.
    static func unixSeconds(_ text: String) -> Int64? {
        let date = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
            ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
        return date.map { Int64($0.timeIntervalSince1970.rounded(.down)) }
    }

    /// Seconds before the next attempt after `attempts` failures: 15 s doubling, at most an hour
    /// while the row is young; a row already unverified (a day old) is asked every 6 hours.
    static func backoff(attempts: Int, unverified: Bool = false) -> Int64 {
        unverified ? 21_600 : min(3600, 15 << Int64(min(max(attempts - 1, 0), 12)))
    }

    /// Rows are asked about for this long (OpenRouter keeps generations at least this long); then
    /// the estimate stands and only `maictl usage reconcile` (the activity record) can correct it.
    static let keepAsking: Int64 = 30 * 86_400

    private func apply(_ outcome: Outcome, pseudonyms: [String: String], now: Int64, result: inout RunResult) async throws {
        switch outcome {
        case .confirmed(let row, let stats):
            guard let cost = stats.data.total_cost.flatMap(Money.init) else {
                try await retry(row, error: "OpenRouter answered without total_cost", now: now, result: &result, counts: \.failed)
                return
            }
            let external = stats.data.external_user
            let openRouterStart = stats.data.created_at.flatMap(Self.unixSeconds)
            let confirmedNow = try await pool.write { db -> Bool in
                try db.execute(
                    sql: """
                        UPDATE generations SET status = 'confirmed', confirmed_cost_nanos = ?, native_prompt_tokens = ?,
                               native_completion_tokens = ?, provider_name = ?, confirmed_at = ?, last_error = NULL,
                               attempts = attempts + 1,
                               -- OpenRouter's counts always replace ours, whatever way the answer ended
                               -- (an error, a cut, a cancel, or an agent that died mid-answer).
                               prompt_tokens = COALESCE(?, prompt_tokens),
                               completion_tokens = COALESCE(?, completion_tokens),
                               tokens_estimated = CASE WHEN ? IS NOT NULL AND ? IS NOT NULL THEN 0 ELSE tokens_estimated END,
                               finish_reason = CASE WHEN finish_reason = 'streaming' THEN 'interrupted' ELSE finish_reason END,
                               -- The day is OpenRouter's start of the generation, as in its activity record
                               -- (the same moment as ours, up to clock skew: a time far off is not taken).
                               created_at = CASE WHEN ? IS NOT NULL AND abs(? - created_at) <= 21600 THEN ? ELSE created_at END
                        WHERE id = ? AND status IN ('provisional', 'unverified')
                        """,
                    arguments: [cost.nanos, stats.data.native_tokens_prompt, stats.data.native_tokens_completion,
                                stats.data.provider_name, now, stats.data.tokens_prompt, stats.data.tokens_completion,
                                stats.data.tokens_prompt, stats.data.tokens_completion,
                                openRouterStart, openRouterStart, openRouterStart, row.id]
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
        case .unnamed(let row):
            // Still on its way (the response head has not come back yet): ask again later.
            if row.finishReason == "streaming", now - row.createdAt < 3600 {
                try await retry(row, error: "no generation id yet", now: now, result: &result, counts: \.notReady)
                return
            }
            try await pool.write { db in
                try db.execute(sql: """
                    UPDATE generations SET status = 'unverified', next_attempt_at = ?, attempts = attempts + 1,
                           finish_reason = CASE WHEN finish_reason = 'streaming' THEN 'interrupted' ELSE finish_reason END,
                           last_error = 'OpenRouter never named this generation: maictl usage reconcile settles it from OpenRouter''s activity record'
                    WHERE id = ? AND status IN ('provisional', 'unverified')
                    """, arguments: [Int64.max, row.id])
            }
            if row.status == GenerationStatus.provisional.rawValue { result.unverified += 1 }
        }
    }

    private func retry(_ row: GenerationRecord, error: String, now: Int64, result: inout RunResult, counts: WritableKeyPath<RunResult, Int>) async throws {
        let attempts = row.attempts + 1
        let age = now - row.createdAt
        // After a day without an answer the streamed figure stands, marked unverified, and the
        // row keeps being asked about (every 6 hours, for 30 days): a late answer still wins.
        let unverified = age >= giveUpAfter
        let next = age >= Self.keepAsking ? Int64.max : now + Self.backoff(attempts: attempts, unverified: unverified)
        let wasProvisional = row.status == GenerationStatus.provisional.rawValue
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE generations SET attempts = ?, next_attempt_at = ?, last_error = ?, status = ?
                    WHERE id = ? AND status IN ('provisional', 'unverified')
                    """,
                arguments: [attempts, next, String(error.prefix(300)),
                            unverified ? GenerationStatus.unverified.rawValue : GenerationStatus.provisional.rawValue, row.id]
            )
        }
        if unverified && wasProvisional { result.unverified += 1 } else { result[keyPath: counts] += 1 }
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
