import Foundation
import Hummingbird

extension OpenRouterSimulator {
    /// `GET /api/v1/key`: the calling key with its usage.
    func currentKey(_ request: Request) throws -> Response {
        let key = try authenticate(request)
        if key.disabled { throw OpenRouterError.disabledKey }
        if let code = key.behavior.keyError {
            throw OpenRouterError.simulated(code, retryAfterSeconds: configuration.retryAfterSeconds, now: Int64(clock.now.timeIntervalSince1970), model: nil)
        }
        let usage = usageSummary(of: key)
        let data = JSONValue.object([
            ("label", .string(key.maskedLabel)),
            ("limit", key.limit?.json ?? .null),
            ("limit_remaining", limitRemaining(key, usage: usage)),
            ("limit_reset", .string(key.limitReset)),
            ("usage", configuration.costForms.json(usage.total, counter: usage.counter, field: 0)),
            ("usage_daily", configuration.costForms.json(usage.daily, counter: usage.counter, field: 1)),
            ("usage_weekly", configuration.costForms.json(usage.weekly, counter: usage.counter, field: 2)),
            ("usage_monthly", configuration.costForms.json(usage.monthly, counter: usage.counter, field: 3)),
            ("byok_usage", .int(0)),
            ("byok_usage_daily", .int(0)),
            ("byok_usage_weekly", .int(0)),
            ("byok_usage_monthly", .int(0)),
            ("include_byok_in_limit", .bool(key.includeByokInLimit)),
            ("is_free_tier", .bool(false)),
            ("is_management_key", .bool(key.isManagement)),
            ("is_provisioning_key", .bool(key.isManagement)),
            ("creator_user_id", .string("user_sim")),
            ("expires_at", .string(key.expiresAt)),
            ("rate_limit", .object([
                ("requests", .int(-1)), ("interval", .string("10s")),
                ("note", .string("This field is deprecated and safe to ignore.")),
            ])),
        ])
        return SimulatorResponses.json(.object([("data", data)]))
    }

    /// `GET /api/v1/keys?include_disabled=&offset=` (management key).
    func listKeys(_ request: Request) throws -> Response {
        _ = try authenticateManagement(request)
        let includeDisabled = SimulatorResponses.query(request, "include_disabled") == "true"
        let offset = SimulatorResponses.query(request, "offset").flatMap { Int($0) } ?? 0
        guard offset >= 0 else { throw OpenRouterError(400, "offset must be 0 or more.") }
        let keys = store.withLock { store in store.keyOrder.compactMap { store.keys[$0] } }
            .filter { $0.listed && !$0.isManagement && (includeDisabled || !$0.disabled) }
        let page = keys.dropFirst(offset).prefix(100)
        return SimulatorResponses.json(.object([("data", .array(page.map { item($0) }))]))
    }

    /// `POST /api/v1/keys` (management key): 201 `{data, key}`; the secret is shown only here.
    func createKey(_ incoming: Request) async throws -> Response {
        var request = incoming
        _ = try authenticateManagement(request)
        let body = try await KeyRequestBody.decode(from: &request)
        guard let name = body.name, !name.trimmingWhitespace().isEmpty else {
            throw OpenRouterError(400, "Invalid request parameters: \"name\" is required.")
        }
        try body.validate()
        let behavior = store.withLock { $0.faults.createdKeyBehavior } ?? KeyBehavior()
        var key = SimulatedKey(secret: SimulatedKey.newSecret(), name: name, listed: true, createdAt: clock.now, behavior: behavior)
        body.apply(to: &key)
        store.withLock { $0.insert(key) }
        return SimulatorResponses.json(.object([("data", item(key)), ("key", .string(key.secret))]), status: .created)
    }

    /// `GET /api/v1/keys/{hash}` (management key).
    func getKey(_ request: Request, hash: String) throws -> Response {
        _ = try authenticateManagement(request)
        guard let key = key(hash: hash), !key.isManagement else { throw OpenRouterError(404, "Key not found") }
        return SimulatorResponses.json(.object([("data", item(key))]))
    }

    /// `PATCH /api/v1/keys/{hash}` (management key).
    func updateKey(_ incoming: Request, hash: String) async throws -> Response {
        var request = incoming
        _ = try authenticateManagement(request)
        let body = try await KeyRequestBody.decode(from: &request)
        try body.validate()
        let now = clock.now
        let updated: SimulatedKey? = store.withLock { store in
            guard var key = store.keys[hash], !key.isManagement else { return nil }
            if let name = body.name { key.name = name }
            if let disabled = body.disabled { key.disabled = disabled }
            body.apply(to: &key)
            key.updatedAt = now
            store.keys[hash] = key
            return key
        }
        guard let updated else { throw OpenRouterError(404, "Key not found") }
        return SimulatorResponses.json(.object([("data", item(updated))]))
    }

    /// `DELETE /api/v1/keys/{hash}` (management key): `{deleted: true}`; the key stops working.
    func deleteKey(_ request: Request, hash: String) throws -> Response {
        _ = try authenticateManagement(request)
        let removed = store.withLock { store -> Bool in
            guard let key = store.keys[hash], !key.isManagement else { return false }
            return store.remove(hash: hash)
        }
        guard removed else { throw OpenRouterError(404, "Key not found") }
        return SimulatorResponses.json(.object([("deleted", .bool(true))]))
    }

    /// `GET /api/v1/credits` (management key).
    func credits(_ request: Request) throws -> Response {
        _ = try authenticateManagement(request)
        let (used, counter) = store.withLock { ($0.usage(keyHash: nil, since: nil), $0.nextAmountCounter()) }
        return SimulatorResponses.json(.object([("data", .object([
            ("total_credits", configuration.totalCredits.json),
            ("total_usage", configuration.costForms.json(used, counter: counter, field: 0)),
        ]))]))
    }

    struct UsageSummary {
        var total: USDNanos
        var daily: USDNanos
        var weekly: USDNanos
        var monthly: USDNanos
        /// Picks the forms the amounts are written in.
        var counter: UInt64
    }

    func usageSummary(of key: SimulatedKey) -> UsageSummary {
        let periods = UsagePeriods(now: clock.now)
        return store.withLock { store in
            UsageSummary(
                total: store.usage(keyHash: key.hash, since: nil),
                daily: store.usage(keyHash: key.hash, since: periods.day),
                weekly: store.usage(keyHash: key.hash, since: periods.week),
                monthly: store.usage(keyHash: key.hash, since: periods.month),
                counter: store.nextAmountCounter())
        }
    }

    private func limitRemaining(_ key: SimulatedKey, usage: UsageSummary) -> JSONValue {
        guard let limit = key.limit else { return .null }
        let counted: USDNanos = switch key.limitReset {
        case "daily": usage.daily
        case "weekly": usage.weekly
        case "monthly": usage.monthly
        default: usage.total
        }
        return configuration.costForms.json(max(.zero, limit - counted), counter: usage.counter, field: 4)
    }

    /// One `/keys` item, field names as in OpenRouter's spec.
    func item(_ key: SimulatedKey) -> JSONValue {
        let usage = usageSummary(of: key)
        return .object([
            ("hash", .string(key.hash)),
            ("name", .string(key.name)),
            ("label", .string(key.maskedLabel)),
            ("disabled", .bool(key.disabled)),
            ("limit", key.limit?.json ?? .null),
            ("limit_remaining", limitRemaining(key, usage: usage)),
            ("limit_reset", .string(key.limitReset)),
            ("include_byok_in_limit", .bool(key.includeByokInLimit)),
            ("usage", configuration.costForms.json(usage.total, counter: usage.counter, field: 0)),
            ("usage_daily", configuration.costForms.json(usage.daily, counter: usage.counter, field: 1)),
            ("usage_weekly", configuration.costForms.json(usage.weekly, counter: usage.counter, field: 2)),
            ("usage_monthly", configuration.costForms.json(usage.monthly, counter: usage.counter, field: 3)),
            ("byok_usage", .int(0)),
            ("byok_usage_daily", .int(0)),
            ("byok_usage_weekly", .int(0)),
            ("byok_usage_monthly", .int(0)),
            ("created_at", .string(ISO8601.format(key.createdAt))),
            ("updated_at", .string(key.updatedAt.map(ISO8601.format))),
            ("expires_at", .string(key.expiresAt)),
            ("creator_user_id", .string("user_sim")),
            ("workspace_id", .string("00000000-0000-4000-8000-000000000000")),
        ])
    }
}
