import Foundation
import Hummingbird

extension OpenRouterSimulator {
    /// `GET /api/v1/activity?date=&api_key_hash=` (management key): the last 30 completed UTC days,
    /// one row per date and model, newest first.
    func activity(_ request: Request) throws -> Response {
        _ = try authenticateManagement(request)
        let asOf = store.withLock { $0.faults.activityAsOf }.flatMap(ISO8601.parseDay)
        let today = UsagePeriods(now: asOf ?? clock.now).day
        let earliest = today.addingTimeInterval(-30 * 86_400)
        let dateFilter = SimulatorResponses.query(request, "date")
        if let dateFilter {
            let valid = (1...30).map { ISO8601.day(today.addingTimeInterval(Double(-$0) * 86_400)) }
            guard valid.contains(dateFilter) else {
                throw OpenRouterError(400, "Invalid date \(dateFilter): use YYYY-MM-DD within the last 30 completed UTC days.")
            }
        }
        let keyFilter = SimulatorResponses.query(request, "api_key_hash")
        let records = store.withLock { $0.generations }.filter { record in
            record.createdAt >= earliest && record.createdAt < today && (keyFilter == nil || record.keyHash == keyFilter)
        }
        struct Row {
            var date: String
            var model: String
            var provider: String
            var usage = USDNanos.zero
            var requests = 0
            var promptTokens = 0
            var completionTokens = 0
        }
        var rows: [String: Row] = [:]
        for record in records {
            let date = ISO8601.day(record.createdAt)
            if let dateFilter, date != dateFilter { continue }
            let groupKey = date + "\u{0}" + record.model
            var row = rows[groupKey] ?? Row(date: date, model: record.model, provider: record.providerName)
            row.usage += record.cost
            row.requests += 1
            row.promptTokens += record.promptTokens
            row.completionTokens += record.completionTokens
            rows[groupKey] = row
        }
        let sorted = rows.values.sorted { ($0.date, $1.model) > ($1.date, $0.model) }
        let counter = store.withLock { $0.nextAmountCounter() }
        let data: [JSONValue] = sorted.enumerated().map { index, row in
            let model = modelsByID[row.model]
            return .object([
                ("date", .string(row.date)),
                ("model", .string(row.model)),
                ("model_permaslug", .string(model?.permaslug ?? row.model)),
                ("endpoint_id", .string(model?.endpointID ?? "00000000-0000-0000-0000-000000000000")),
                ("provider_name", .string(row.provider)),
                ("usage", configuration.costForms.json(row.usage, counter: counter, field: index)),
                ("byok_usage_inference", .int(0)),
                ("requests", .int(row.requests)),
                ("prompt_tokens", .int(row.promptTokens)),
                ("completion_tokens", .int(row.completionTokens)),
                ("reasoning_tokens", .int(0)),
            ])
        }
        return SimulatorResponses.json(.object([("data", .array(data))]))
    }
}
