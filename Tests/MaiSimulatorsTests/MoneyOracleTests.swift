import Foundation
import MaiCore
import MaiSimulators
import Testing

/// SplitMix64: small, fast, seedable — the property tests' randomness.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The simulator's money code (`SimDecimal`, `USDNanos`, `CostForms`) against the agent's
/// (`MaiCore.Money`), on random values: both must agree on every amount in every textual form.
///
/// The seed is `MAI_PROPERTY_SEED` when set, else fixed; every failure message names it, so a
/// failure is replayed with `MAI_PROPERTY_SEED=<seed> swift test --filter MoneyOracle`.
@Suite("Simulator money vs MaiCore.Money (property)")
struct MoneyOracleTests {
    /// Records an issue only on a mismatch: cheap enough for hundreds of thousands of checks.
    func same<T: Equatable>(_ actual: T, _ expected: T, _ context: @autoclosure () -> String, sourceLocation: SourceLocation = #_sourceLocation) {
        if actual != expected {
            Issue.record("\(context()): got \(actual), expected \(expected)", sourceLocation: sourceLocation)
        }
    }

    static let seed: UInt64 = ProcessInfo.processInfo.environment["MAI_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 20_261_203
    static let cases = 4_000

    /// How the agent reads a cost: `JSONDecoder` into `Decimal`, then `Money(_:)`.
    struct Usage: Decodable { var cost: Decimal }
    static func agentNanos(json text: String) -> Int64? {
        guard let usage = try? JSONDecoder().decode(Usage.self, from: Data("{\"cost\":\(text)}".utf8)) else { return nil }
        return Money(usage.cost)?.nanos
    }

    /// The same for many texts in one JSON document (one decoder run: fast), each against its nanos.
    func checkAgentReads(_ cases: [(text: String, nanos: Int64)]) {
        struct Costs: Decodable { var costs: [Decimal] }
        let document = "{\"costs\":[" + cases.map(\.text).joined(separator: ",") + "]}"
        guard let decoded = try? JSONDecoder().decode(Costs.self, from: Data(document.utf8)) else {
            Issue.record("seed \(Self.seed): JSONDecoder refused \(document.prefix(2_000))")
            return
        }
        for (item, decimal) in zip(cases, decoded.costs) {
            same(Money(decimal)?.nanos, item.nanos, "seed \(Self.seed): '\(item.text)' via JSONDecoder/Decimal (\(decimal))")
        }
    }

    /// A random amount in whole nano-dollars: mostly small (what generations cost), sometimes large,
    /// sometimes negative, sometimes zero or a whole number of dollars.
    static func randomNanos(_ rng: inout SeededGenerator) -> Int64 {
        let value: Int64 = switch Int.random(in: 0..<10, using: &rng) {
        case 0: 0
        case 1: Int64.random(in: 0...1_000, using: &rng) * 1_000_000_000
        case 2: Int64.random(in: 0...999_999_999_999_999, using: &rng)
        case 3: Int64.random(in: 1...9, using: &rng) * Int64(pow(10, Double(Int.random(in: 0...14, using: &rng))))
        default: Int64.random(in: 0...50_000_000, using: &rng)
        }
        return Int.random(in: 0..<12, using: &rng) == 0 ? -value : value
    }

    /// A random exact amount with digits below the nano-dollar, ties (exactly half a nano) often.
    static func randomExact(_ rng: inout SeededGenerator) -> SimDecimal {
        let nanos = Int64.random(in: -1_000...50_000_000, using: &rng)
        let attos: Int64 = switch Int.random(in: 0..<4, using: &rng) {
        case 0: 500_000_000
        case 1: Int64.random(in: 0...9, using: &rng) * 100_000_000
        case 2: 500_000_000 + Int64.random(in: -1...1, using: &rng)
        default: Int64.random(in: 0..<1_000_000_000, using: &rng)
        }
        return SimDecimal(wholeNanos: nanos, attos: attos)
    }

    @Test("whole nano amounts: every form reads back to the same nanos on both sides")
    func wholeNanosInEveryForm() {
        var rng = SeededGenerator(seed: Self.seed)
        var viaDecoder: [(text: String, nanos: Int64)] = []
        defer { checkAgentReads(viaDecoder) }
        for _ in 0..<Self.cases {
            let nanos = Self.randomNanos(&rng)
            let amount = USDNanos(nanos: nanos)
            same(amount.decimalString, Money(nanos: nanos).decimalString, "seed \(Self.seed): \(nanos)")
            same(Money(decimal: amount.decimalString)?.nanos, nanos, "seed \(Self.seed): \(nanos)")
            for form in CostForms.Form.allCases {
                let text = CostForms.text(amount.decimal, form: form)
                let context = { "seed \(Self.seed): \(nanos) as \(form) '\(text)'" }
                same(SimDecimal.roundedNanos(ofJSONNumber: text), nanos, context())
                same(Money(decimal: text)?.nanos, nanos, context())
                viaDecoder.append((text, nanos))
                if form != .float {
                    same(SimDecimal(exactly: text), amount.decimal, context() + " exactly")
                }
            }
        }
    }

    @Test("sub-nano costs: every form rounds half to even to what the simulator charges")
    func subNanoCostsRoundHalfEven() {
        var rng = SeededGenerator(seed: Self.seed &+ 1)
        var ties = 0
        var viaDecoder: [(text: String, nanos: Int64)] = []
        defer { checkAgentReads(viaDecoder) }
        for _ in 0..<Self.cases {
            let exact = Self.randomExact(&rng)
            let charged = exact.roundedNanos
            if exact.attos == 500_000_000 {
                ties += 1
                same(charged % 2, 0, "seed \(Self.seed): a tie \(exact.plainText) rounds to even, got \(charged)")
            }
            #expect(abs(Double(charged) - (Double(exact.wholeNanos) + Double(exact.attos) / 1e9)) <= 0.5, "seed \(Self.seed): \(exact.plainText)")
            for form in CostForms.Form.allCases {
                let text = CostForms.text(exact, form: form)
                let context = { "seed \(Self.seed): \(exact.plainText) as \(form) '\(text)' charged \(charged)" }
                if form != .float || !exact.isWholeNanos {
                    same(SimDecimal(exactly: text), exact, context())
                }
                same(SimDecimal.roundedNanos(ofJSONNumber: text), charged, context())
                same(Money(decimal: text)?.nanos, charged, context())
                viaDecoder.append((text, charged))
            }
        }
        #expect(ties > Self.cases / 8, "seed \(Self.seed): ties are exercised (\(ties))")
    }

    /// A random JSON number text: 1–20 integer digits (or `0`), 0–25 decimals, maybe an exponent in
    /// any spelling, maybe a sign.
    static func randomText(_ rng: inout SeededGenerator) -> String {
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
        }
        var text = Int.random(in: 0..<8, using: &rng) == 0 ? "-" : ""
        let integerDigits = Int.random(in: 0...6, using: &rng) == 0 ? Int.random(in: 1...11, using: &rng) : 1
        let integer = digits(integerDigits)
        text += integer.count > 1 ? String(Int.random(in: 1...9, using: &rng)) + integer.dropFirst() : integer
        let decimals = Int.random(in: 0...25, using: &rng)
        if decimals > 0 {
            var fraction = digits(decimals)
            if Int.random(in: 0..<3, using: &rng) == 0 {
                // A tie or near-tie at the nano-dollar.
                fraction = String((fraction + String(repeating: "0", count: 9)).prefix(9)) + ["5", "50000", "5000001", "4999999"].randomElement(using: &rng)!
            }
            text += "." + fraction
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            let exponent = Int.random(in: -12...6, using: &rng)
            let marker = Bool.random(using: &rng) ? "e" : "E"
            let sign = exponent < 0 ? "-" : (Bool.random(using: &rng) ? "+" : "")
            let magnitude = String(abs(exponent))
            text += marker + sign + (Bool.random(using: &rng) ? "0" : "") + magnitude
        }
        return text
    }

    @Test("random decimal texts: both parsers agree on the nanos (or both refuse)")
    func randomTextsParseAlike() {
        var rng = SeededGenerator(seed: Self.seed &+ 2)
        var parsed = 0
        var viaDecoder: [(text: String, nanos: Int64)] = []
        defer { checkAgentReads(viaDecoder) }
        for _ in 0..<Self.cases * 2 {
            let text = Self.randomText(&rng)
            let simulator = SimDecimal.roundedNanos(ofJSONNumber: text)
            let agent = Money(decimal: text)?.nanos
            same(simulator, agent, "seed \(Self.seed): '\(text)' simulator \(String(describing: simulator)) agent \(String(describing: agent))")
            if let simulator {
                parsed += 1
                viaDecoder.append((text, simulator))
            }
        }
        #expect(parsed > Self.cases, "seed \(Self.seed): most texts are in range (\(parsed))")
    }

    @Test("sums: simulator totals equal MaiCore.Money totals of the texts it wrote")
    func sumsAgree() {
        var rng = SeededGenerator(seed: Self.seed &+ 3)
        for round in 0..<(Self.cases / 20) {
            let count = Int.random(in: 1...40, using: &rng)
            let exacts = (0..<count).map { _ in Self.randomExact(&rng) }
            let charged = exacts.map { USDNanos(nanos: $0.roundedNanos) }
            let simulatorTotal = charged.reduce(USDNanos.zero, +)
            let exactTotal = exacts.reduce(SimDecimal.zero, +)
            let forms = CostForms.rotating(seed: Self.seed &+ UInt64(round))
            let texts = exacts.enumerated().map { forms.text($1, counter: UInt64($0), field: 0) }
            let agentTotal = texts.reduce(Money.zero) { $0 + (Money(decimal: $1) ?? Money(nanos: .min / 2)) }
            let context = { "seed \(Self.seed) round \(round): \(texts)" }
            same(agentTotal.nanos, simulatorTotal.nanos, context())
            same(agentTotal.decimalString, simulatorTotal.decimalString, context())
            // The exact total differs from the sum of rounded costs by at most half a nano each.
            #expect(abs(exactTotal.roundedNanos - simulatorTotal.nanos) <= Int64(count + 1) / 2 + 1, "\(context())")
            // Multiplying is summing.
            let price = exacts[0]
            let tokens = Int.random(in: 0...100_000, using: &rng)
            same(price * tokens, (0..<min(tokens, 50)).reduce(SimDecimal.zero) { s, _ in s + price } + price * max(0, tokens - 50), context())
        }
    }

    @Test("the rounding rule on fixed ties", arguments: [
        ("0.0000000025", Int64(2)), ("0.0000000035", 4), ("2.5e-9", 2), ("2.5E-09", 2), ("25E-10", 2),
        ("0.00000000250000000001", 3), ("0.0000000024999999999", 2), ("-0.0000000025", -2), ("-0.0000000035", -4),
        ("0.0000000005", 0), ("0.0000000015", 2), ("0.30000000000000004", 300_000_000),
        ("0.29999999999999998", 300_000_000), ("1e-400", 0), ("0e99999999999", 0), ("1", 1_000_000_000), ("0", 0),
    ])
    func fixedTies(text: String, nanos: Int64) {
        same(SimDecimal.roundedNanos(ofJSONNumber: text), nanos, "simulator: \(text)")
        same(Money(decimal: text)?.nanos, nanos, "agent: \(text)")
    }

    @Test("the rotation is deterministic and uses every form")
    func rotationIsDeterministic() {
        let forms = CostForms.rotating(seed: 7)
        let first = (0..<64).map { forms.form(counter: $0, field: 0) }
        #expect(first == (0..<64).map { CostForms.rotating(seed: 7).form(counter: $0, field: 0) })
        #expect(Set(first) == Set(CostForms.Form.allCases))
        #expect(CostForms.plain.form(counter: 5, field: 3) == .plain)
        #expect(CostForms.text(SimDecimal(exactly: "0.00000015")!, form: .exponent) == "1.5e-7")
        #expect(CostForms.text(SimDecimal(exactly: "0.00000015")!, form: .paddedExponent) == "1.5e-07")
        #expect(CostForms.text(SimDecimal(exactly: "0.000000002")!, form: .integerExponent) == "2E-9")
        #expect(CostForms.text(SimDecimal(exactly: "0.3")!, form: .float) == "0.29999999999999999")
        #expect(CostForms.text(SimDecimal(exactly: "0.0000012345678912")!, form: .longDecimals) == "0.0000012345678912")
        #expect(CostForms.text(SimDecimal(exactly: "0.000123")!, form: .longDecimals) == "0.000123000000000000")
        #expect(CostForms.text(.zero, form: .plain) == "0" && CostForms.text(SimDecimal(nanos: 1_000_000_000), form: .plain) == "1")
    }
}
