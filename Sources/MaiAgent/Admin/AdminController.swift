import Foundation
import GRDB
import Hummingbird
import MaiCore
import NIOCore

/// The fleet admin API on `ADMIN_BIND` (loopback; reached by maictl through an SSH tunnel):
/// status, usage, OpenRouter key swap, deep health, metrics. Types are `MaiCore`'s.
struct AdminController {
    let services: AgentServices

    func addRoutes(to router: Router<AgentRequestContext>) {
        router.get("/admin/v1/status", use: status)
        router.get("/admin/v1/usage", use: usage)
        router.get("/admin/v1/openrouter-key", use: keyState)
        router.put("/admin/v1/openrouter-key", use: swapKey)
        router.get("/admin/v1/health", use: health)
        router.post("/admin/v1/usage/confirm", use: confirmNow)
        router.post("/admin/v1/usage/settle", use: settle)
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: services.metrics.render())))
        }
    }

    func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(data: try AdminAPI.encoder.encode(value))))
    }

    static func totals(_ line: UsageBook.Line) -> UsageTotals {
        line.totals
    }

    /// The last usage confirmation run, as the confirmation service recorded it.
    /// The last run that did something (idle runs write nothing), else the last run at all.
    func lastConfirmationRun() async throws -> ConfirmationService.RunResult? {
        if let run = services.confirmations.lastActiveRun { return run }
        let text = try await services.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'USAGE_LAST_RUN'")
        }
        return text.flatMap { try? JSONDecoder().decode(ConfirmationService.RunResult.self, from: Data($0.utf8)) } ?? services.confirmations.lastRun
    }

    /// The enabled OpenRouter connection with a key: the key this instance spends on.
    func openRouterConnection() async throws -> Connection? {
        try await services.connections.enabled().first { $0.kind == .openrouter && $0.apiKey != nil }
    }

    @Sendable func status(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let now = services.clock.now
        let today = UsageBook.day(now)
        let totals = try await services.book.report(from: today, to: today, groupBy: .day).totals
        let (size, markup) = try await services.database.pool.read { db -> (Int64, String?) in
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return (pages * pageSize, try String.fetchOne(db, sql: "SELECT markup_rate FROM usage_days WHERE day = ?", arguments: [today]))
        }
        let wal = (try? FileManager.default.attributesOfItem(atPath: services.config.databasePath + "-wal")[.size] as? Int64) ?? 0
        let run = try await lastConfirmationRun().map {
            AdminStatus.ConfirmationRun(finishedAt: Date(timeIntervalSince1970: TimeInterval($0.finishedAt)), confirmed: $0.confirmed,
                                        notReady: $0.notReady, failed: $0.failed, unverified: $0.unverified, remaining: $0.remaining,
                                        rateLimited: $0.rateLimited)
        }
        var key = try await openRouterConnection().map {
            AdminStatus.KeyInfo(hash: TokenService.sha256Hex($0.apiKey!.value), hint: $0.keyHint, connectionId: $0.id)
        }
        if let hash = key?.hash { key?.setAt = try await services.keySetTimes.setAt(hash: hash, now: services.clock.seconds) }
        let status = AdminStatus(
            instance: services.config.instance, name: services.config.name, version: MaiVersion.current,
            startedAt: services.startedAt, uptimeSeconds: Int64(now.timeIntervalSince(services.startedAt)),
            users: try await services.users.count(), databaseBytes: size + wal, lastConfirmation: run, openrouterKey: key,
            today: Self.totals(totals), markupRate: markup ?? services.config.markupRate
        )
        return try json(status)
    }

    @Sendable func usage(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let (first, last) = UsageBook.monthBounds(services.clock.now)
        let from = query.get("from") ?? first
        let to = query.get("to") ?? last
        guard UsageBook.isDay(from), UsageBook.isDay(to), from <= to else {
            throw APIError(.badRequest, "from and to must be days as YYYY-MM-DD, from not after to.")
        }
        guard let grouping = UsageBook.Grouping(rawValue: query.get("group_by") ?? "day") else {
            throw APIError(.badRequest, "group_by must be day, user or model.")
        }
        let report = try await services.book.report(from: from, to: to, groupBy: grouping)
        var labels: [String: String] = [:]
        if grouping == .user {
            for user in try await services.users.list(offset: 0, limit: 100_000).users { labels[user.id] = "\(user.name) <\(user.email)>" }
        }
        return try json(AdminUsageReport(
            instance: services.config.instance, from: from, to: to, groupBy: grouping.rawValue,
            rows: report.rows.map { .init(key: $0.key, label: labels[$0.key] ?? $0.key, totals: Self.totals($0)) },
            totals: Self.totals(report.totals)
        ))
    }

    func currentKeyState() async throws -> OpenRouterKeyState {
        let current = try await services.connections.all().first { $0.kind == .openrouter && $0.enabled && $0.apiKey != nil }
        let currentHash = current.map { TokenService.sha256Hex($0.apiKey!.value) }
        let pending = try await services.retiredKeys.pendingByKey()
        let old = try await services.retiredKeys.all().map(\.hash).filter { $0 != currentHash }
        let streaming = services.inFlight.snapshot
        let setAt: Date? = if let currentHash { try await services.keySetTimes.setAt(hash: currentHash, now: services.clock.seconds) } else { nil }
        return OpenRouterKeyState(
            currentHash: currentHash, currentHint: current?.keyHint, provisional: currentHash.flatMap { pending[$0] } ?? 0,
            oldKeys: Set(old + pending.keys.filter { $0 != currentHash } + streaming.keys.filter { $0 != currentHash }).sorted().map {
                .init(hash: $0, provisional: pending[$0] ?? 0, inFlight: streaming[$0] ?? 0)
            },
            keySetAt: setAt, inFlight: currentHash.flatMap { streaming[$0] } ?? 0
        )
    }

    @Sendable func keyState(_ request: Request, context: AgentRequestContext) async throws -> Response {
        try json(try await currentKeyState())
    }

    /// Validates the new key with OpenRouter (`GET /key`), switches new requests to it, and keeps
    /// the old key only to confirm the generations it served.
    @Sendable func swapKey(_ request: Request, context: AgentRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 10)
        guard let swap = try? AdminAPI.decoder.decode(OpenRouterKeySwap.self, from: Data(buffer: buffer)) else {
            throw APIError(.unprocessableContent, "Send {\"key\": \"sk-or-…\"}.")
        }
        let key = swap.key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard key.hasPrefix("sk-or-"), key.count <= 256, !key.contains(where: \.isWhitespace) else {
            throw APIError(.badRequest, "That is not an OpenRouter key (they start with sk-or-).")
        }
        // The operator's key goes to the operator's address only (OPENROUTER_BASE_URL, or
        // openrouter.ai), never to a base URL an admin set in the web app.
        let operatorURL = ConnectionStore.trimmed(services.config.providers.openRouterBaseURL.absoluteString)
        let all = try await services.connections.all()
        var connection = all.first { $0.id == "openrouter" } ?? Connection(
            id: "openrouter", kind: .openrouter, name: ConnectionKind.openrouter.displayName,
            baseURL: operatorURL, apiKey: nil, modelPrefix: "", enabled: true, source: .database)
        let before = connection
        connection.kind = .openrouter
        connection.baseURL = operatorURL
        connection.apiKey = Secret(key)
        connection.enabled = true
        connection.source = .database
        try await ConnectionProbe(providers: services.providerFactory).check(connection)
        if let old = before.apiKey, old.value != key {
            // Rows the old key served are still confirmed with it — at the operator's address too.
            try await services.retiredKeys.retire(key: old.value, baseURL: operatorURL, now: services.clock.seconds)
        }
        try await services.connections.save(connection)
        try await services.keySetTimes.recordSet(hash: TokenService.sha256Hex(key), now: services.clock.seconds)
        await services.catalog.invalidate(connection.id)
        context.logger.notice("openrouter key swapped", metadata: ["mai.op": "admin.key_swap", "new_hash": .string(String(TokenService.sha256Hex(key).prefix(12)))])
        return try json(try await currentKeyState())
    }

    /// Runs one confirmation pass now (a key rotation drains the old key's provisional rows with it).
    /// `?key_hash=` looks that key's provisional rows up now, whatever their backoff.
    @Sendable func confirmNow(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let keyHash = request.uri.queryParameters.get("key_hash")
        if let keyHash, keyHash.count != 64 || !keyHash.allSatisfy(\.isHexDigit) {
            throw APIError(.badRequest, "key_hash must be a key's SHA-256 in hex (64 characters), as GET /admin/v1/openrouter-key lists them.")
        }
        let run = try await services.confirmations.runOnce(forcing: keyHash?.lowercased())
        return try json(AdminStatus.ConfirmationRun(
            finishedAt: Date(timeIntervalSince1970: TimeInterval(run.finishedAt)), confirmed: run.confirmed, notReady: run.notReady,
            failed: run.failed, unverified: run.unverified, remaining: run.remaining, rateLimited: run.rateLimited))
    }

    /// Settles the requests OpenRouter never named from its activity record (see `UsageSettlement`).
    @Sendable func settle(_ request: Request, context: AgentRequestContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 4 << 20)
        let settlement: AdminSettlementRequest
        do {
            settlement = try AdminAPI.decoder.decode(AdminSettlementRequest.self, from: Data(buffer: body))
        } catch {
            throw APIError(.badRequest, "Send {key_hash, items: [{day, model, requests, prompt_tokens, completion_tokens, usage}]}: OpenRouter's /activity for one key. (\(error))")
        }
        guard settlement.keyHash.count == 64, settlement.keyHash.allSatisfy(\.isHexDigit) else {
            throw APIError(.badRequest, "key_hash must be a key's SHA-256 in hex (64 characters).")
        }
        guard settlement.items.count <= 10_000 else {
            throw APIError(.contentTooLarge, "At most 10,000 items per settlement (30 days × models).")
        }
        var settled = settlement
        settled.keyHash = settlement.keyHash.lowercased()
        return try json(try await UsageSettlement(pool: services.database.pool).settle(settled, now: services.clock.seconds))
    }

    /// Everything `maictl health` judges in one answer (the database check, disk, memory, the
    /// process and its last confirmation), so a cron run needs no shell on the host.
    @Sendable func health(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let check = (try? await services.database.check()) ?? "unreadable"
        let resources = HostResourcesReader.read(dataDirectory: services.config.dataDirectory)
        let provisional = try await services.retiredKeys.pendingByKey().values.reduce(0, +)
        // The loop's most recent run (idle or not): health judges whether it still runs.
        let lastRun: ConfirmationService.RunResult?
        if let run = services.confirmations.lastRun { lastRun = run } else { lastRun = try await lastConfirmationRun() }
        let finished = lastRun.map { Date(timeIntervalSince1970: TimeInterval($0.finishedAt)) }
        let key = try await openRouterConnection().map { TokenService.sha256Hex($0.apiKey!.value) }
        let facts = AdminHealth.AgentFacts(
            version: MaiVersion.current, pid: getpid(), uptimeSeconds: Int64(services.clock.now.timeIntervalSince(services.startedAt)),
            lastConfirmationAt: finished, openrouterKeyHash: key)
        var response = try json(AdminHealth(status: check == "ok", quickCheck: check, dataDirFreeBytes: resources.disk?.availableBytes,
                                            provisional: provisional, resources: resources, agent: facts))
        if check != "ok" { response.status = .serviceUnavailable }
        return response
    }
}

/// The admin listener's router: token first, then errors as `{"detail"}`.
/// `onRestoreStaged` runs once `PUT /admin/v1/restore` has staged a snapshot (production: stop the
/// process so its supervisor starts it again and the start swaps the snapshot in).
func buildAdminRouter(services: AgentServices, token: Secret,
                      onRestoreStaged: @escaping @Sendable () -> Void = DatabaseRestore.terminateProcessSoon) -> Router<AgentRequestContext> {
    let router = Router(context: AgentRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: FleetTokenMiddleware(token: token))
    router.add(middleware: ErrorMiddleware())
    AdminController(services: services).addRoutes(to: router)
    AdminBrandingRoutes(services: services).addRoutes(to: router)
    AdminBackupRoutes(services: services, onRestoreStaged: onRestoreStaged).addRoutes(to: router)
    return router
}
