import Foundation
import GRDB
import Hummingbird
import MaiCore

/// The books in the web app: admins see the whole instance, employees their own usage.
/// Amounts are strings with 6 decimals (`raw_cost` = what the providers charge, `price` = what the
/// company pays, raw × markup); every table can be fetched as CSV with `format=csv`.
struct UsageController {
    let services: AgentServices
    /// How often the dashboard refreshes (`USAGE_REFRESH_SECONDS`).
    var refreshSeconds: Int

    func addRoutes(to routes: RouteRegistrar) {
        routes.get("/api/v1/usage/summary", .user, use: summary)
        routes.get("/api/v1/usage/report", .user, use: report)
        routes.get("/api/v1/usage/generations", .admin, use: generations)
        routes.get("/api/v1/usage/external", .admin, use: external)
        routes.get("/api/v1/usage/budgets", .admin, use: budgets)
        routes.post("/api/v1/usage/budgets", .admin, use: setBudget)
        routes.post("/api/v1/usage/sync", .admin, use: sync)
    }

    struct LineResponse: Codable {
        var key: String
        var label: String
        var requests: Int
        var prompt_tokens: Int
        var completion_tokens: Int
        var raw_cost: String
        var price: String
        var provisional: Int
        var confirmed: Int
        var unverified: Int
        var estimated: Int
        /// The exact amounts (9 decimals), for machines: `raw_cost`/`price` are these rounded once.
        var raw_cost_exact: String?
        var price_exact: String?

        init(_ line: UsageBook.Line, label: String, exact: UsageBook.Line? = nil) {
            key = line.key
            self.label = label
            requests = line.requests
            prompt_tokens = line.promptTokens
            completion_tokens = line.completionTokens
            raw_cost = line.raw.formatted(decimals: 6)
            price = line.price.formatted(decimals: 6)
            provisional = line.provisional
            confirmed = line.confirmed
            unverified = line.unverified
            estimated = line.estimated
            raw_cost_exact = exact.map { $0.raw.formatted(decimals: 9) }
            price_exact = exact.map { $0.price.formatted(decimals: 9) }
        }
    }

    struct SummaryResponse: ResponseCodable {
        var scope: String
        var today: LineResponse
        var month: LineResponse
        var markup_rate: String
        var refresh_seconds: Int
        var currency = "USD"
        var budget: String?
        var budget_used_percent: Int?
    }

    /// Today's and this month's totals: the instance for admins, their own for employees.
    @Sendable func summary(_ request: Request, context: AgentRequestContext) async throws -> SummaryResponse {
        let identity = try context.requireIdentity()
        let scopeUser = identity.user.role == .admin && request.uri.queryParameters.get("scope") != "me" ? nil : identity.user.id
        let now = services.clock.now
        let today = UsageBook.day(now)
        let (first, last) = UsageBook.monthBounds(now)
        let todayTotals = try await services.book.report(from: today, to: today, groupBy: .day, userID: scopeUser).shown.totals
        let monthTotals = try await services.book.report(from: first, to: last, groupBy: .day, userID: scopeUser).shown.totals
        let limit = try await services.budgets.all()[scopeUser ?? Budgets.instance]
        let markup = try await services.database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT markup_rate FROM usage_days WHERE day = ?", arguments: [today])
        } ?? services.config.markupRate
        return SummaryResponse(
            scope: scopeUser == nil ? "instance" : "user",
            today: LineResponse(todayTotals, label: today), month: LineResponse(monthTotals, label: String(first.prefix(7))),
            markup_rate: markup, refresh_seconds: refreshSeconds,
            budget: limit?.humanAmount,
            budget_used_percent: limit.map { $0.nanos > 0 ? Int(min(999, monthTotals.price.nanos * 100 / $0.nanos)) : 100 }
        )
    }

    struct ReportResponse: ResponseCodable {
        var from: String
        var to: String
        var group_by: String
        var rows: [LineResponse]
        var totals: LineResponse
    }

    /// `?from=YYYY-MM-DD&to=YYYY-MM-DD&group_by=day|user|model[&format=csv]` (defaults: this month, by day).
    @Sendable func report(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
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
        let userID = identity.user.role == .admin && query.get("scope") != "me" ? nil : identity.user.id
        let exact = try await services.book.report(from: from, to: to, groupBy: grouping, userID: userID)
        let report = exact.shown
        var labels: [String: String] = [:]
        if grouping == .user {
            for user in try await services.users.list(offset: 0, limit: 100_000).users { labels[user.id] = "\(user.name) <\(user.email)>" }
        }
        let body = ReportResponse(
            from: from, to: to, group_by: grouping.rawValue,
            rows: report.rows.map { LineResponse($0, label: labels[$0.key] ?? ($0.key.isEmpty ? "—" : (grouping == .user ? "Deleted user \($0.key.prefix(8))" : $0.key))) },
            totals: LineResponse(report.totals, label: "Total", exact: exact.totals)
        )
        if query.get("format") == "csv" {
            return CSVTable.response(filename: "usage-\(grouping.rawValue)-\(from)-\(to).csv", header: CSVTable.lineHeader(grouping.rawValue),
                                     rows: (body.rows + [body.totals]).map(CSVTable.line))
        }
        return try body.response(from: request, context: context)
    }

    struct GenerationResponse: Codable {
        var id: String
        var upstream_id: String?
        var user_id: String
        var model: String
        var provider: String
        var status: String
        var prompt_tokens: Int
        var completion_tokens: Int
        var reported_cost: String?
        var confirmed_cost: String?
        var estimated_cost: String?
        /// Confirmed minus reported, when both exist and differ.
        var difference: String?
        var created_at: Int64
        var attempts: Int
        var last_error: String?
    }

    struct GenerationList: ResponseCodable {
        var generations: [GenerationResponse]
    }

    /// Recent generations with their state; `?status=unverified|provisional|confirmed|estimated&differs=true`.
    @Sendable func generations(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let limit = min(try UsersController.positive(query.get("limit"), name: "limit", default: 100), 1000)
        let status = query.get("status")
        if let status, GenerationStatus(rawValue: status) == nil {
            throw APIError(.badRequest, "status must be provisional, confirmed, unverified or estimated.")
        }
        let differs = query.get("differs") == "true"
        let rows = try await services.database.pool.read { db -> [GenerationRecord] in
            var request = GenerationRecord.order(GenerationRecord.CodingKeys.createdAt.desc)
            if let status { request = request.filter(GenerationRecord.CodingKeys.status == status) }
            if differs {
                request = request.filter(sql: "confirmed_cost_nanos IS NOT NULL AND reported_cost_nanos IS NOT NULL AND confirmed_cost_nanos != reported_cost_nanos")
            }
            return try request.limit(limit).fetchAll(db)
        }
        let list = GenerationList(generations: rows.map { row in
            let difference = row.confirmedCostNanos.flatMap { confirmed in
                row.reportedCostNanos.flatMap { confirmed != $0 ? Money(nanos: confirmed - $0).formatted(decimals: 9) : nil }
            }
            return GenerationResponse(
                id: row.id, upstream_id: row.upstreamID, user_id: row.userID, model: row.model, provider: row.provider, status: row.status,
                prompt_tokens: row.promptTokens, completion_tokens: row.completionTokens,
                reported_cost: row.reportedCostNanos.map { Money(nanos: $0).formatted(decimals: 9) },
                confirmed_cost: row.confirmedCostNanos.map { Money(nanos: $0).formatted(decimals: 9) },
                estimated_cost: row.estimatedCostNanos.map { Money(nanos: $0).formatted(decimals: 9) },
                difference: difference, created_at: row.createdAt, attempts: row.attempts, last_error: row.lastError
            )
        })
        if query.get("format") == "csv" {
            return CSVTable.response(
                filename: "generations.csv",
                header: ["id", "upstream_id", "user_id", "model", "provider", "status", "prompt_tokens", "completion_tokens", "reported_cost", "confirmed_cost", "estimated_cost", "difference", "created_at"],
                rows: list.generations.map { [$0.id, $0.upstream_id ?? "", $0.user_id, $0.model, $0.provider, $0.status, String($0.prompt_tokens), String($0.completion_tokens),
                                              $0.reported_cost ?? "", $0.confirmed_cost ?? "", $0.estimated_cost ?? "", $0.difference ?? "", String($0.created_at)] }
            )
        }
        return try list.response(from: request, context: context)
    }

    struct ExternalUser: Codable, Sendable {
        var external_user: String
        var first_seen: Int64
        var last_seen: Int64
        var requests: Int
        var cost: String
    }

    struct ExternalList: ResponseCodable {
        var external_users: [ExternalUser]
    }

    /// "Usage outside this instance": ids OpenRouter reported that belong to no employee here.
    @Sendable func external(_ request: Request, context: AgentRequestContext) async throws -> ExternalList {
        let users = try await services.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT external_user, first_seen, last_seen, requests, cost_nanos FROM external_users ORDER BY last_seen DESC").map {
                ExternalUser(external_user: $0[0], first_seen: $0[1], last_seen: $0[2], requests: $0[3], cost: Money(nanos: $0[4]).formatted(decimals: 6))
            }
        }
        return ExternalList(external_users: users)
    }

    struct BudgetLine: Codable {
        var user_id: String
        var name: String
        var limit: String
        var spent: String
        var used_percent: Int
        var near_limit: Bool
    }

    struct BudgetList: ResponseCodable {
        var budgets: [BudgetLine]
    }

    /// Every limit with this month's spending; `near_limit` from 80 %.
    @Sendable func budgets(_ request: Request, context: AgentRequestContext) async throws -> BudgetList {
        let limits = try await services.budgets.all()
        var lines: [BudgetLine] = []
        for (userID, limit) in limits.sorted(by: { $0.key < $1.key }) {
            let spent = try await services.book.monthToDatePrice(userID: userID.isEmpty ? nil : userID, now: services.clock.now)
            let name = userID.isEmpty ? "Whole instance" : (try await services.users.find(id: userID)?.name ?? "Deleted user")
            let percent = limit.nanos > 0 ? Int(min(999, spent.nanos * 100 / limit.nanos)) : 100
            lines.append(BudgetLine(user_id: userID, name: name, limit: limit.humanAmount, spent: spent.formatted(decimals: 6),
                                    used_percent: percent, near_limit: percent >= 80))
        }
        return BudgetList(budgets: lines)
    }

    struct BudgetForm: Decodable {
        /// Empty or absent: the whole instance.
        var user_id: String?
        /// Dollars per month as a decimal string or number; `null` removes the limit.
        var monthly_limit: JSONValue?
    }

    @Sendable func setBudget(_ request: Request, context: AgentRequestContext) async throws -> BudgetList {
        var request = request
        let form = try await request.decodeJSON(as: BudgetForm.self, limit: services.config.maxJSONBodyBytes)
        let userID = form.user_id ?? ""
        if !userID.isEmpty, try await services.users.find(id: userID) == nil { throw AccountError.notFound }
        let limit: Money?
        switch form.monthly_limit {
        case nil, .null: limit = nil
        case .string(let text): limit = Money(decimal: text)
        case .integer(let value): limit = Money(decimal: String(value))
        case .number(let value): limit = Money(decimal: String(value))
        default: limit = nil
        }
        if form.monthly_limit != nil, form.monthly_limit != .null {
            guard let limit, limit.nanos >= 0, limit.nanos <= 1_000_000 * 1_000_000_000 else {
                throw APIError(.badRequest, "monthly_limit must be an amount in dollars such as \"50\" or \"12.50\", or null to remove the limit.")
            }
        }
        try await services.budgets.set(userID: userID, limit: limit, now: services.clock.seconds)
        return try await budgets(request, context: context)
    }

    struct SyncResponse: ResponseCodable {
        var confirmed: Int
        var not_ready: Int
        var failed: Int
        var unverified: Int
        var remaining: Int
    }

    /// Runs the confirmation service now and answers with what it did.
    @Sendable func sync(_ request: Request, context: AgentRequestContext) async throws -> SyncResponse {
        let result = try await services.confirmations.runOnce()
        return SyncResponse(confirmed: result.confirmed, not_ready: result.notReady, failed: result.failed, unverified: result.unverified, remaining: result.remaining)
    }
}
