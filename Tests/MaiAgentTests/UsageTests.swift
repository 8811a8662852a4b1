import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import MaiCore
import MaiSimulators
import Testing

@testable import MaiAgent

@Suite("Usage accounting")
struct UsageTests {
    static let agentKey = "sk-or-v1-agent-test"

    /// Runs `count` completions for each token, alternating models and streaming.
    static func traffic(_ client: any TestClientProtocol, tokens: [String], count: Int) async throws {
        let models = ["openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "deepseek/deepseek-chat"]
        for index in 0..<count {
            for (position, token) in tokens.enumerated() {
                let body: [String: Any] = [
                    "model": models[(index + position) % models.count], "stream": index % 2 == 0,
                    "messages": [["role": "user", "content": "Question \(index) from \(position) [[sim:tokens=\(5 + index * 3)]]"]],
                ]
                let response = try await client.post("/v1/chat/completions", body, token: token)
                #expect(response.status == .ok, "\(response.detail)")
            }
        }
    }

    static func bookedNanos(_ agent: TestAgent) async throws -> Int64 {
        try await agent.services.database.pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(cost_nanos), 0) FROM usage_daily") ?? 0 }
    }

    @Test("a day of mixed traffic: the confirmed books equal the simulator's own record to the nano-dollar")
    func mixedTraffic() async throws {
        let (harness, agent) = try await SimulatorHarness.withAgent()
        defer { harness.stop() }
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await Self.traffic(client, tokens: [tokens.admin, tokens.user], count: 6)
            // One answer that broke mid-stream still cost something.
            _ = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "stream": true, "messages": [["role": "user", "content": "x [[sim:midstream_error]]"]]], token: tokens.user)
            let live = try await client.get("/api/v1/usage/summary", token: tokens.admin).json
            #expect((live["today"] as? [String: Any])?["requests"] as? Int == 13)
            #expect((live["today"] as? [String: Any])?["provisional"] as? Int == 13)

            let result = try await agent.services.confirmations.runOnce()
            #expect(result.confirmed == 13 && result.remaining == 0, "\(result)")
            let served = harness.openRouter.generations
            #expect(served.count == 13)
            let simulatorTotal = served.reduce(Int64(0)) { $0 + $1.cost.nanos }
            #expect(try await Self.bookedNanos(agent) == simulatorTotal)
            // Per model, too.
            let byModel = try await agent.services.book.report(from: "2000-01-01", to: "2100-01-01", groupBy: .model)
            for row in byModel.rows {
                let expected = served.filter { $0.model == row.key }.reduce(Int64(0)) { $0 + $1.cost.nanos }
                #expect(row.raw == Money(nanos: expected), "\(row.key)")
                #expect(row.confirmed == served.filter { $0.model == row.key }.count)
            }
            // Price = raw × 1.3 (here one day, one markup): the exact total, rounded once for display.
            let report = try await client.get("/api/v1/usage/report?group_by=user", token: tokens.admin).json
            let rows = try #require(report["rows"] as? [[String: Any]])
            let totals = try #require(report["totals"] as? [String: Any])
            let exactPrice = try #require(Money(decimal: totals["price_exact"] as? String ?? ""), "\(totals)")
            let exactRaw = try #require(Money(decimal: totals["raw_cost_exact"] as? String ?? ""), "\(totals)")
            #expect(exactRaw == Money(nanos: simulatorTotal), "\(totals)")
            // 1.3 × each (day, employee, model) cell, rounded half-up per cell: within a nano-dollar per cell of 1.3 × the raw total.
            #expect(abs(exactPrice.nanos - simulatorTotal * 13 / 10) <= 6, "price \(exactPrice) vs 1.3 × \(simulatorTotal) n$")
            #expect(Money(decimal: totals["price"] as? String ?? "") == UsageBook.Line.micro(exactPrice), "\(totals)")
            for grouping in ["day", "model"] {
                let other = try await client.get("/api/v1/usage/report?group_by=\(grouping)", token: tokens.admin).json["totals"] as? [String: Any]
                #expect(other?["price"] as? String == totals["price"] as? String && other?["price_exact"] as? String == totals["price_exact"] as? String,
                        "by \(grouping): \(other ?? [:]) vs by user: \(totals)")
            }
            #expect(rows.count == 2 && rows.allSatisfy { ($0["label"] as? String)?.contains("@example.com") == true })
            // A second run finds nothing to do and changes nothing.
            let again = try await agent.services.confirmations.runOnce()
            #expect(again.confirmed == 0)
            #expect(try await Self.bookedNanos(agent) == simulatorTotal)
        }
    }

    @Test("404 means not ready: the row waits its backoff and is confirmed later")
    func notReadyThenConfirmed() async throws {
        // One clock for both sides: the simulator's "not ready yet" ends when the test moves it.
        let (harness, agent) = try await SimulatorHarness.withAgent()
        defer { harness.stop() }
        harness.openRouter.registerKey(Self.agentKey, behavior: KeyBehavior(generationDelayMs: 10_000))
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await Self.traffic(client, tokens: [tokens.user], count: 2)
            let first = try await agent.services.confirmations.runOnce()
            #expect(first.notReady == 2 && first.confirmed == 0)
            let row = try #require(try await agent.services.generations.recent(userID: nil, limit: 1).first)
            let stored = try await agent.services.database.pool.read { db in try MaiAgent.GenerationRecord.fetchOne(db, key: row.id) }
            #expect(stored?.attempts == 1 && stored?.status == "provisional")
            // Not due yet: nothing is asked.
            #expect(try await agent.services.confirmations.runOnce().notReady == 0)
            agent.clock.advance(seconds: 16)
            let second = try await agent.services.confirmations.runOnce()
            #expect(second.confirmed == 2 && second.remaining == 0)
        }
    }

    @Test("429 pauses the run for Retry-After; 5xx storms back off per row; nothing is lost")
    func rateLimitsAndStorms() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await Self.traffic(client, tokens: [tokens.user, tokens.admin], count: 3)
            harness.openRouter.registerKey(Self.agentKey, behavior: KeyBehavior(generationError: 429))
            let limited = try await agent.services.confirmations.runOnce()
            #expect(limited.rateLimited && limited.confirmed == 0 && limited.remaining == 6)
            // Still paused: the next run asks nothing.
            harness.openRouter.registerKey(Self.agentKey, behavior: KeyBehavior())
            #expect(try await agent.services.confirmations.runOnce().confirmed == 0)
            agent.clock.advance(seconds: 3)  // the simulator's Retry-After is 2 s

            harness.openRouter.registerKey(Self.agentKey, behavior: KeyBehavior(generationError: 503))
            let storm = try await agent.services.confirmations.runOnce()
            #expect(storm.failed == 6 && storm.confirmed == 0)
            let errors = try await agent.services.database.pool.read { db in
                try String.fetchAll(db, sql: "SELECT DISTINCT last_error FROM generations")
            }
            #expect(errors.count == 1 && errors[0].hasPrefix("503"))
            harness.openRouter.registerKey(Self.agentKey, behavior: KeyBehavior())
            #expect(try await agent.services.confirmations.runOnce().confirmed == 0)  // backing off
            agent.clock.advance(seconds: 16)
            let recovered = try await agent.services.confirmations.runOnce()
            #expect(recovered.confirmed == 6 && recovered.remaining == 0)
            #expect(try await Self.bookedNanos(agent) == harness.openRouter.generations.reduce(Int64(0)) { $0 + $1.cost.nanos })
        }
    }

    @Test("unanswered for 24 hours: unverified, the streamed cost standing and marked")
    func unverifiedAfterADay() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        harness.openRouter.registerKey(Self.agentKey, behavior: KeyBehavior(generationError: 500))
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await Self.traffic(client, tokens: [tokens.user], count: 2)
            let streamed = try await Self.bookedNanos(agent)
            agent.clock.advance(seconds: 25 * 3600)
            let result = try await agent.services.confirmations.runOnce()
            #expect(result.unverified == 2 && result.remaining == 0)
            #expect(try await Self.bookedNanos(agent) == streamed)
            let admin = try await client.signIn("admin@example.com").json["token"] as? String  // a day later: a fresh sign-in
            let list = try await client.get("/api/v1/usage/generations?status=unverified", token: admin).json["generations"] as? [[String: Any]]
            #expect(list?.count == 2)
        }
    }

    @Test("when the confirmed cost differs from the streamed one, the confirmed one wins and the difference shows")
    func confirmedWins() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await Self.traffic(client, tokens: [tokens.user], count: 1)
            // The stream under-reported by 1,234 nano-dollars.
            try await agent.services.database.pool.write { db in
                try db.execute(sql: "UPDATE generations SET reported_cost_nanos = reported_cost_nanos - 1234")
            }
            _ = try await agent.services.confirmations.runOnce()
            #expect(try await Self.bookedNanos(agent) == harness.openRouter.generations[0].cost.nanos)
            let differs = try await client.get("/api/v1/usage/generations?differs=true", token: tokens.admin).json["generations"] as? [[String: Any]]
            #expect(differs?.first?["difference"] as? String == "0.000001234")
        }
    }

    @Test("a key swap mid-traffic: old-key rows are confirmed with the old key, none is lost")
    func keySwap() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await Self.traffic(client, tokens: [tokens.user], count: 3)
            let swap = try await client.post("/api/v1/connections/openrouter", ["api_key": "sk-or-v1-new-key-after-swap"], token: tokens.admin)
            #expect(swap.status == .ok)
            try await Self.traffic(client, tokens: [tokens.user], count: 3)
            let hashes = Set(harness.openRouter.generations.map(\.keyHash))
            #expect(hashes.count == 2)
            let result = try await agent.services.confirmations.runOnce()
            #expect(result.confirmed == 6 && result.remaining == 0, "\(result)")
            #expect(try await Self.bookedNanos(agent) == harness.openRouter.generations.reduce(Int64(0)) { $0 + $1.cost.nanos })
        }
    }

    @Test("budgets: a request the budget left cannot pay for is refused; admins see who is near")
    func budgets() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let userID = try #require(try await agent.services.users.find(email: "user@example.com")).id
            // Under budget: served.
            let served = try await client.post("/v1/chat/completions", ["model": "anthropic/claude-3.5-sonnet", "messages": [["role": "user", "content": "hi [[sim:tokens=50]]"]]], token: tokens.user)
            #expect(served.status == .ok, "\(served.detail)")
            let spent = try await agent.services.book.monthToDatePrice(userID: userID, now: agent.clock.clock.now)
            #expect(spent > .zero)
            // A limit just above what was spent: near, and too little left for another request.
            let limit = Money(nanos: spent.nanos + spent.nanos / 10)
            let set = try await client.post("/api/v1/usage/budgets", ["user_id": userID, "monthly_limit": limit.decimalString], token: tokens.admin)
            #expect(set.status == .ok, "\(set.detail)")
            let refused = try await client.post("/v1/chat/completions", ["model": "anthropic/claude-3.5-sonnet", "messages": [["role": "user", "content": "again, a longer question this time"]]], token: tokens.user)
            #expect(refused.status.code == 402, "\(refused.status): \(refused.detail)")
            #expect(refused.detail.contains("budget"), "\(refused.detail)")
            // Others are not affected …
            let admin = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "admin"]]], token: tokens.admin)
            #expect(admin.status == .ok, "\(admin.detail)")
            let list = try await client.get("/api/v1/usage/budgets", token: tokens.admin).json["budgets"] as? [[String: Any]]
            #expect(list?.first?["near_limit"] as? Bool == true, "\(list ?? [])")
            // … until the whole instance's budget is used up.
            #expect(try await client.post("/api/v1/usage/budgets", ["monthly_limit": "0.000001"], token: tokens.admin).status == .ok)
            let instance = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "admin"]]], token: tokens.admin)
            #expect(instance.status.code == 402 && instance.detail.contains("company"), "\(instance.status): \(instance.detail)")
            #expect(try await client.post("/api/v1/usage/budgets", ["monthly_limit": "lots"], token: tokens.admin).status == .badRequest)
            #expect(try await client.post("/api/v1/usage/budgets", ["monthly_limit": NSNull()], token: tokens.admin).status == .ok)
        }
    }

    @Test("estimated costs for providers without reported costs; employees see only their own usage")
    func estimatesAndScopes() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment(anthropic: true))
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let models = try await client.get("/api/models", token: tokens.user).json["data"] as? [[String: Any]] ?? []
            let anthropic = try #require(models.first { $0["owned_by"] as? String == "anthropic" }?["id"] as? String)
            _ = try await client.post("/v1/chat/completions", ["model": anthropic, "messages": [["role": "user", "content": "hi"]]], token: tokens.user)
            _ = try await client.post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "hi"]]], token: tokens.admin)
            let mine = try await client.get("/api/v1/usage/summary", token: tokens.user).json
            #expect(mine["scope"] as? String == "user")
            #expect((mine["today"] as? [String: Any])?["requests"] as? Int == 1)
            #expect((mine["today"] as? [String: Any])?["estimated"] as? Int == 1)
            let all = try await client.get("/api/v1/usage/summary", token: tokens.admin).json
            #expect((all["today"] as? [String: Any])?["requests"] as? Int == 2)
            // An employee asking for everyone's report gets their own.
            let report = try await client.get("/api/v1/usage/report?group_by=user", token: tokens.user).json["rows"] as? [[String: Any]]
            #expect(report?.count == 1)
            #expect(try await client.get("/api/v1/usage/generations", token: tokens.user).status == .forbidden)
            let csv = try await client.get("/api/v1/usage/report?group_by=model&format=csv", token: tokens.admin)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(String(buffer: csv.body).hasPrefix("model,label,requests"))
            #expect(try await client.get("/api/v1/usage/report?from=2026-13-01", token: tokens.admin).status == .badRequest)
        }
    }

    @Test("usage of accounts that no longer exist is learned as usage outside this instance")
    func externalUsers() async throws {
        let harness = try await SimulatorHarness.start(configuration: SimulatorHarness.immediateGenerations)
        defer { harness.stop() }
        let agent = try await TestAgent(environment: harness.environment())
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            try await Self.traffic(client, tokens: [tokens.user], count: 2)
            let user = try #require(try await agent.services.users.find(email: "user@example.com"))
            try await agent.services.users.delete(id: user.id)
            _ = try await agent.services.confirmations.runOnce()
            let external = try await client.get("/api/v1/usage/external", token: tokens.admin).json["external_users"] as? [[String: Any]]
            #expect(external?.count == 1)
            #expect(external?.first?["external_user"] as? String == CompletionService.externalUser(instance: "acme", userID: user.id))
            #expect(external?.first?["requests"] as? Int == 2)
        }
    }
}

@Suite("Usage books")
struct UsageBookTests {
    @Test("on random data the roll-ups equal the detail rows, and shown rows add up to the totals")
    func randomBooks() async throws {
        let agent = try await TestAgent()
        var generator = SystemRandomNumberGenerator()
        let users = ["u1", "u2", "u3"]
        let models = ["a/x", "b/y"]
        let base: Int64 = 1_790_000_000
        var records: [MaiAgent.GenerationRecord] = []
        for index in 0..<400 {
            let status = GenerationStatus.allCases.randomElement(using: &generator)!
            records.append(MaiAgent.GenerationRecord(
                id: "g\(index)", upstreamID: "gen-\(index)", userID: users.randomElement(using: &generator)!, externalUser: nil,
                chatID: nil, messageID: nil, connectionID: "openrouter", provider: "openrouter", model: models.randomElement(using: &generator)!,
                promptTokens: Int.random(in: 0...500, using: &generator), completionTokens: Int.random(in: 0...900, using: &generator),
                tokensEstimated: false, reportedCostNanos: Int64.random(in: 0...3_000_000, using: &generator), status: status.rawValue,
                finishReason: "stop", streamed: true, firstTokenMs: nil, durationMs: 1,
                createdAt: base + Int64.random(in: 0...(5 * 86_400), using: &generator),
                estimatedCostNanos: Int64.random(in: 0...3_000_000, using: &generator),
                confirmedCostNanos: status == .confirmed ? Int64.random(in: 0...3_000_000, using: &generator) : nil
            ))
        }
        let sortedRecords = records.sorted(by: { $0.createdAt < $1.createdAt })
        try await agent.services.database.pool.write { db in
            // Day one at 1.3 (set at start-up), later days at 1.45: history keeps each day's rate.
            for record in sortedRecords {
                if record.createdAt > base + 86_400 {
                    try db.execute(sql: "UPDATE settings SET value = '1.45' WHERE key = 'MARKUP_RATE'")
                }
                try record.insert(db)
            }
            // Confirm a few provisional rows afterwards, as the service would.
            try db.execute(sql: "UPDATE generations SET status = 'confirmed', confirmed_cost_nanos = 777 WHERE status = 'provisional' AND rowid % 3 = 0")
        }
        let stored = try await agent.services.database.pool.read { db in try MaiAgent.GenerationRecord.fetchAll(db) }
        let report = try await agent.services.book.report(from: "2026-01-01", to: "2027-12-31", groupBy: .user)
        for user in users {
            let rows = stored.filter { $0.userID == user && $0.status != GenerationStatus.refused.rawValue }
            let row = try #require(report.rows.first { $0.key == user })
            #expect(row.requests == rows.count)
            #expect(row.raw == Money(nanos: rows.reduce(0) { $0 + $1.effectiveCostNanos }))
            #expect(row.promptTokens == rows.reduce(0) { $0 + $1.promptTokens })
            // Price: each (day, model) cell's raw × that day's markup, rounded once per cell.
            var price = Money.zero
            for (cell, dayRows) in Dictionary(grouping: rows, by: { [UsageBook.day(Date(timeIntervalSince1970: TimeInterval($0.createdAt))), $0.model] }) {
                let day = cell[0]
                let raw = Money(nanos: dayRows.reduce(0) { $0 + $1.effectiveCostNanos })
                let stored = try await agent.services.database.pool.read { db in try String.fetchOne(db, sql: "SELECT markup_rate FROM usage_days WHERE day = ?", arguments: [day]) }
                price += (MarkupRate(decimal: stored ?? "") ?? .standard).price(raw)
            }
            #expect(row.price == price)
        }
        #expect(report.rows.reduce(Money.zero) { $0 + $1.price } == report.totals.price)
        #expect(report.rows.reduce(Money.zero) { $0 + $1.raw } == report.totals.raw)
        // As shown: rows and the exact total each rounded once to 6 decimals (half-up).
        let shown = report.shown
        #expect(shown.rows.allSatisfy { $0.price.nanos % 1000 == 0 && $0.raw.nanos % 1000 == 0 })
        #expect(shown.totals.price.nanos == (report.totals.price.nanos + 500) / 1000 * 1000, "\(shown.totals.price) from \(report.totals.price)")
        let rates = try await agent.services.database.pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT markup_rate FROM usage_days ORDER BY markup_rate") }
        #expect(rates == ["1.3", "1.45"])
    }

    @Test("pruning drops detail rows but keeps reports, and never drops unconfirmed rows")
    func prune() async throws {
        let agent = try await TestAgent()
        try await agent.services.database.pool.write { db in
            // The last unverified row was given up on (no next attempt): it may go; the other is still asked about.
            for (index, status) in ["confirmed", "estimated", "provisional", "unverified", "unverified"].enumerated() {
                try MaiAgent.GenerationRecord(
                    id: "p\(index)", upstreamID: "gen-p\(index)", userID: "u", externalUser: nil, chatID: nil, messageID: nil,
                    connectionID: "c", provider: "openrouter", model: "m", promptTokens: 10, completionTokens: 20, tokensEstimated: false,
                    reportedCostNanos: 1_000 * Int64(index + 1), status: status, finishReason: "stop", streamed: true, firstTokenMs: nil,
                    durationMs: 1, createdAt: 1_700_000_000, estimatedCostNanos: 5, confirmedCostNanos: status == "confirmed" ? 999 : nil,
                    nextAttemptAt: index == 4 ? Int64.max : 0
                ).insert(db)
            }
        }
        let before = try await agent.services.book.report(from: "2023-01-01", to: "2023-12-31", groupBy: .day)
        #expect(try await agent.services.usagePrunePlan(before: "2024-01-01") == .init(deletable: 3, keptProvisional: 2))
        #expect(try await agent.services.pruneUsage(before: "2024-01-01") == 3)
        let after = try await agent.services.book.report(from: "2023-01-01", to: "2023-12-31", groupBy: .day)
        #expect(after == before)
        #expect(try await agent.services.generations.recent(userID: nil, limit: 10).map(\.status).sorted() == ["provisional", "unverified"])
    }

    @Test("markup rates are exact fractions")
    func markup() {
        #expect(MarkupRate(decimal: "1.3")?.price(Money(nanos: 1_000)).nanos == 1_300)
        #expect(MarkupRate(decimal: "1.333333")?.price(Money(nanos: 3)).nanos == 4)
        #expect(MarkupRate(decimal: "0") == nil && MarkupRate(decimal: "1,3") == nil && MarkupRate(decimal: "1.1234567") == nil)
    }
}
