import AsyncHTTPClient
import Foundation
import MaiCore
import MaiSimulators
import NIOCore
import Testing

/// The OpenRouter simulator as the oracle for the agent's books: the generation id in the response
/// head, cancelled and failed generations charged and reported, every cost text (in whatever form
/// the rotation picked) standing for exactly the nanos the simulator's own record says, and
/// `/activity` totalling exactly what the record holds.
@Suite("OpenRouter simulator as the books' oracle (live)")
struct OpenRouterOracleTests {
    let clock = ManualSimulatorClock(start: Date(timeIntervalSince1970: 1_790_000_000)) // 2026-09-21T…Z
    let sim: OpenRouterSimulator

    init() {
        var configuration = OpenRouterConfiguration.testing
        configuration.models.append(.subNanoPriced)
        sim = OpenRouterSimulator(configuration: configuration, clock: clock.clock)
    }

    func auth(_ key: String = TestSupport.userKey) -> [(String, String)] {
        [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")]
    }

    func get(_ url: String, key: String) async throws -> (status: Int, text: String) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        var text = ""
        for try await buffer in response.body { text += String(buffer: buffer) }
        return (Int(response.status.code), text)
    }

    /// Starts a streamed completion and returns its response head (headers) while the body is still
    /// to come, plus the task reading the body.
    func startStream(_ base: String, text: String, key: String = TestSupport.userKey) async throws
        -> (headers: [String: String], body: Task<String, any Error>)
    {
        var request = HTTPClientRequest(url: base + "/api/v1/chat/completions")
        request.method = .POST
        for (name, value) in auth(key) { request.headers.add(name: name, value: value) }
        request.body = .bytes(TestSupport.chatBody(text, stream: true))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let headers = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        let body = Task {
            var text = ""
            for try await buffer in response.body { text += String(buffer: buffer) }
            return text
        }
        return (headers, body)
    }

    /// Like `startStream`, with when the head arrived and when the first `data:` event did.
    func startStreamTimed(_ base: String, text: String, key: String = TestSupport.userKey)
        async throws -> ([String: String], Task<(String, ContinuousClock.Instant?), any Error>, ContinuousClock.Instant)
    {
        var request = HTTPClientRequest(url: base + "/api/v1/chat/completions")
        request.method = .POST
        for (name, value) in auth(key) { request.headers.add(name: name, value: value) }
        request.body = .bytes(TestSupport.chatBody(text, stream: true))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let headAt = ContinuousClock.now
        let headers = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        let body = Task {
            var text = ""
            var first: ContinuousClock.Instant?
            for try await buffer in response.body {
                text += String(buffer: buffer)
                // The first token's event (keep-alive comments such as ": OPENROUTER PROCESSING" come earlier).
                if first == nil, text.hasPrefix("data:") || text.contains("\ndata:") { first = ContinuousClock.now }
            }
            return (text, first)
        }
        return (headers, body, headAt)
    }

    @Test("X-Generation-Id is in the response head of streamed, non-streamed and failing completions")
    func generationIDHeader() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let url = base + "/api/v1/chat/completions"
            // Streamed: the head does not wait for the first token (6 s away) and carries the id. The
            // oracle is the gap between head and first chunk, which a busy machine delays alike.
            let (headers, body, headAt) = try await startStreamTimed(base, text: "slow start [[sim:latency_ms=6000]] [[sim:tokens=3]]")
            let headerID = try #require(headers["x-generation-id"])
            let (streamed, firstChunkAt) = try await body.value
            let gap = firstChunkAt.map { $0 - headAt } ?? .zero
            #expect(gap > .seconds(2), "the head came \(gap) before the first chunk: it waited for the token")
            let chunkIDs = Set(try TestSupport.dataLines(streamed).dropLast().map { try TestSupport.json($0)["id"] as? String })
            #expect(chunkIDs == [headerID] && headerID.hasPrefix("gen-"))

            let plain = try await TestSupport.post(url, body: TestSupport.chatBody("plain"), headers: auth())
            let plainID = try TestSupport.json(plain.text)["id"] as? String
            #expect(plain.headers["x-generation-id"] == plainID && plainID != nil)

            let failing = try await TestSupport.post(url, body: TestSupport.chatBody("go [[sim:midstream_error]] [[sim:tokens=6]]", stream: true), headers: auth())
            let failingIDs = Set(try TestSupport.dataLines(failing.text).map { try TestSupport.json($0)["id"] as? String })
            #expect(failing.status == 200 && failingIDs.count == 1 && failing.headers["x-generation-id"] == failingIDs.first!)

            let failingPlain = try await TestSupport.post(url, body: TestSupport.chatBody("go [[sim:midstream_error]]"), headers: auth())
            #expect(failingPlain.status == 502)
            let failedID = try #require(failingPlain.headers["x-generation-id"])
            #expect(sim.generation(id: failedID)?.finishReason == "error")
            #expect(Set(sim.generations.map(\.id)) == [headerID, plainID!, failingIDs.first!!, failedID])
        }
    }

    @Test("a stream cancelled before its first token is recorded, charged its prompt, and reported")
    func cancelledBeforeFirstToken() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let (headers, body) = try await startStream(base, text: "never mind [[sim:latency_ms=10000]]")
            let id = try #require(headers["x-generation-id"])
            try await Task.sleep(for: .milliseconds(200))
            #expect(sim.generations.isEmpty, "still waiting for the first token")
            body.cancel()
            _ = await body.result
            #expect(try await TestSupport.eventually { sim.generation(id: id) != nil })
            let record = try #require(sim.generation(id: id))
            let model = try #require(sim.configuration.models.first { $0.id == record.model })
            #expect(record.cancelled && record.completionTokens == 0 && record.finishReason == nil && record.costText == nil)
            #expect(record.promptTokens > 0 && record.cost.nanos == model.cost(promptTokens: record.promptTokens, completionTokens: 0).nanos)
            #expect(record.cost.nanos > 0, "the prompt is charged")

            clock.advance(by: .seconds(3))
            let generation = try await get(base + "/api/v1/generation?id=\(id)", key: TestSupport.userKey)
            #expect(generation.status == 200)
            let data = try #require(try TestSupport.json(generation.text)["data"] as? [String: Any])
            #expect(data["cancelled"] as? Bool == true && data["tokens_completion"] as? Int == 0 && data["tokens_prompt"] as? Int == record.promptTokens)
            for key in ["total_cost", "usage"] {
                let literals = TestSupport.numberLiterals(generation.text, key: key)
                #expect(literals.count == 1)
                #expect(literals.compactMap { Money(decimal: $0)?.nanos } == [record.cost.nanos], "\(key): \(literals)")
            }

            clock.advance(by: .seconds(86_400))
            let hash = SimulatedKey.hash(of: TestSupport.userKey)
            let activity = try await get(base + "/api/v1/activity?api_key_hash=\(hash)", key: TestSupport.managementKey)
            let rows = try #require(try TestSupport.json(activity.text)["data"] as? [[String: Any]])
            #expect(rows.count == 1 && rows[0]["requests"] as? Int == 1 && rows[0]["prompt_tokens"] as? Int == record.promptTokens)
            #expect(TestSupport.numberLiterals(activity.text, key: "usage").compactMap { Money(decimal: $0)?.nanos } == [record.cost.nanos])
        }
    }

    @Test("every cost text, in whatever form, reads as the record's nanos; sub-nano costs round half to even")
    func costTextsMatchTheRecord() async throws {
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let url = base + "/api/v1/chat/completions"
            var texts: [String] = []
            for index in 0..<24 {
                let model = index % 2 == 0 ? SimulatedModel.subNanoPriced.id : "openai/gpt-4o-mini"
                let stream = index % 3 == 0
                let body = TestSupport.chatBody("answer \(String(repeating: "word ", count: index)) [[sim:tokens=\(index + 1)]]", model: model, stream: stream)
                let result = try await TestSupport.post(url, body: body, headers: auth())
                #expect(result.status == 200)
                let id = try #require(result.headers["x-generation-id"])
                let record = try #require(sim.generation(id: id))
                let literals = TestSupport.numberLiterals(result.text, key: "cost")
                #expect(literals.count == 1 && literals.first == record.costText, "\(literals) vs \(String(describing: record.costText))")
                let text = try #require(literals.first)
                texts.append(text)
                #expect(record.cost.nanos == record.exactCost.roundedNanos)
                #expect(Money(decimal: text)?.nanos == record.cost.nanos, "agent reads '\(text)' as the record's \(record.cost.nanos)")
                #expect(Money(decimal: record.exactCost.plainText)?.nanos == record.cost.nanos, "exact \(record.exactCost.plainText)")
                #expect(SimDecimal.roundedNanos(ofJSONNumber: text) == record.cost.nanos)
            }
            #expect(texts.contains { $0.contains("e") || $0.contains("E") }, "exponent forms: \(texts)")
            #expect(texts.contains { ($0.split(separator: ".").dropFirst().first?.prefix { $0.isNumber }.count ?? 0) > 9 }, "long decimals: \(texts)")
            #expect(sim.generations.contains { !$0.exactCost.isWholeNanos }, "sub-nano costs were exercised")
            #expect(sim.generations.contains { $0.exactCost.attos == 500_000_000 }, "ties were exercised")
            // /generation writes the same amount (in other forms) for every generation.
            clock.advance(by: .seconds(3))
            for record in sim.generations {
                let generation = try await get(base + "/api/v1/generation?id=\(record.id)", key: TestSupport.userKey)
                for key in ["total_cost", "usage", "upstream_inference_cost"] {
                    let literals = TestSupport.numberLiterals(generation.text, key: key)
                    #expect(literals.compactMap { Money(decimal: $0)?.nanos } == [record.cost.nanos], "\(record.id) \(key): \(literals)")
                }
            }
        }
    }

    @Test("/activity totals exactly what the simulator charged per (date, model) for a key")
    func activityTotalsTheRecord() async throws {
        let hash = SimulatedKey.hash(of: TestSupport.userKey)
        try await SimulatorServer.withRunning(sim.buildRouter()) { base in
            let url = base + "/api/v1/chat/completions"
            for (text, model, stream) in [
                ("first [[sim:tokens=7]]", "openai/gpt-4o-mini", true),
                ("second", "openai/gpt-4o-mini", false),
                ("sub-nano one [[sim:tokens=9]]", SimulatedModel.subNanoPriced.id, true),
                ("sub-nano two [[sim:tokens=4]]", SimulatedModel.subNanoPriced.id, false),
                ("breaks [[sim:midstream_error]] [[sim:tokens=8]]", "deepseek/deepseek-chat", true),
                ("breaks plain [[sim:midstream_error]]", "deepseek/deepseek-chat", false),
            ] {
                _ = try await TestSupport.post(url, body: TestSupport.chatBody(text, model: model, stream: stream), headers: auth())
            }
            // Cancelled before the first token.
            let (_, body) = try await startStream(base, text: "gone [[sim:latency_ms=10000]]")
            try await Task.sleep(for: .milliseconds(100))
            body.cancel()
            _ = await body.result
            #expect(try await TestSupport.eventually { sim.generations.count == 7 })
            // Another key's generation never shows up under this key's hash.
            _ = try await TestSupport.post(url, body: TestSupport.chatBody("other"), headers: auth(TestSupport.otherKey))
            // The next day: a second date.
            clock.advance(by: .seconds(86_400))
            _ = try await TestSupport.post(url, body: TestSupport.chatBody("next day [[sim:tokens=5]]"), headers: auth())
            clock.advance(by: .seconds(86_400))

            let mine = sim.generations.filter { $0.keyHash == hash }
            #expect(mine.count == 8 && mine.contains { $0.cancelled } && mine.filter { $0.finishReason == "error" }.count == 2)
            struct Totals: Equatable { var requests = 0, prompt = 0, completion = 0, nanos: Int64 = 0 }
            var expected: [String: Totals] = [:]
            for record in mine {
                let day = String(ISO8601DateFormatter().string(from: record.createdAt).prefix(10))
                var totals = expected[day + " " + record.model] ?? Totals()
                totals.requests += 1
                totals.prompt += record.promptTokens
                totals.completion += record.completionTokens
                totals.nanos += record.cost.nanos
                expected[day + " " + record.model] = totals
            }
            let activity = try await get(base + "/api/v1/activity?api_key_hash=\(hash)", key: TestSupport.managementKey)
            #expect(activity.status == 200)
            let rows = try #require(try TestSupport.json(activity.text)["data"] as? [[String: Any]])
            let usages = TestSupport.numberLiterals(activity.text, key: "usage")
            #expect(rows.count == usages.count)
            var reported: [String: Totals] = [:]
            for (row, usage) in zip(rows, usages) {
                let key = "\(row["date"] as? String ?? "?") \(row["model"] as? String ?? "?")"
                let agent = Money(decimal: usage)?.nanos
                #expect(agent == SimDecimal.roundedNanos(ofJSONNumber: usage), "\(key): '\(usage)'")
                reported[key] = Totals(
                    requests: row["requests"] as? Int ?? -1, prompt: row["prompt_tokens"] as? Int ?? -1,
                    completion: row["completion_tokens"] as? Int ?? -1, nanos: agent ?? -1)
            }
            #expect(reported == expected)
            #expect(Set(expected.keys.map { $0.prefix(10) }) == ["2026-09-21", "2026-09-22"])
        }
    }

    @Test("with plain forms every amount is the minimal plain decimal")
    func plainForms() async throws {
        var configuration = OpenRouterConfiguration.testing
        configuration.costForms = .plain
        let plain = OpenRouterSimulator(configuration: configuration, clock: clock.clock)
        try await SimulatorServer.withRunning(plain.buildRouter()) { base in
            for index in 0..<8 {
                let result = try await TestSupport.post(base + "/api/v1/chat/completions", body: TestSupport.chatBody("hi \(index)"), headers: auth())
                let record = try #require(plain.generations.last)
                #expect(TestSupport.numberLiterals(result.text, key: "cost") == [record.cost.decimalString])
                #expect(record.cost.decimalString == Money(nanos: record.cost.nanos).decimalString)
            }
        }
    }
}
