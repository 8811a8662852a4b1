import Foundation
import MaiCore
import Testing

@Suite("Money")
struct MoneyTests {
    @Test("decimal text parses exactly", arguments: [
        ("0.000123", Int64(123_000)), ("12", 12_000_000_000), ("0.000000001", 1), ("0.0000000015", 2),
        ("0.0000000014", 1), ("1.5e-7", 150), ("-0.25", -250_000_000), ("3.", 3_000_000_000), (".5", 500_000_000),
        // More than 9 decimals round half to even, as the OpenRouter simulator charges.
        ("0.0000000025", 2), ("0.0000000035", 4), ("0.00000000250001", 3), ("2.5e-9", 2), ("25E-10", 2), ("-0.0000000025", -2),
        ("0.0000000005", 0), ("0.30000000000000004", 300_000_000), ("1.2300000000000001e-04", 123_000), ("2E-9", 2),
        ("1e+2", 100_000_000_000), ("1e-400", 0), ("0e99999999999999999999", 0), ("1e-9223372036854775808", 0),
    ])
    func parse(text: String, nanos: Int64) {
        #expect(Money(decimal: text)?.nanos == nanos)
    }

    @Test("garbage is refused", arguments: ["", "abc", "1.2.3", "1,5", "--1", "1e", "e5", "99999999999999999999", "1e+", "1e9999999999999999999999", "1e20"])
    func garbage(text: String) {
        #expect(Money(decimal: text) == nil)
    }

    @Test("JSON numbers decoded as Decimal keep their digits")
    func fromJSON() throws {
        struct Usage: Decodable { var cost: Decimal }
        let usage = try JSONDecoder().decode(Usage.self, from: Data(#"{"cost": 0.0001234567}"#.utf8))
        #expect(Money(usage.cost)?.nanos == 123_457)
    }

    @Test("formatting rounds half-up to 6 decimals")
    func format() {
        #expect(Money(nanos: 123_456_789).formatted() == "0.123457")
        #expect(Money(nanos: 1_000_000_000).formatted() == "1.000000")
        #expect(Money(nanos: -499).formatted() == "0.000000")
        #expect(Money(nanos: -1_500).formatted() == "-0.000002")
        #expect(Money(nanos: 5).formatted(decimals: 9) == "0.000000005")
    }

    @Test("scaling by a ratio is exact and rounds half-up")
    func scale() {
        #expect(Money(nanos: 100).scaled(by: 13, over: 10).nanos == 130)
        #expect(Money(nanos: 1).scaled(by: 13, over: 10).nanos == 1)
        #expect(Money(nanos: 5).scaled(by: 13, over: 10).nanos == 7)  // 6.5 → 7
        #expect(Money(nanos: Int64.max / 2).scaled(by: 2, over: 2).nanos == Int64.max / 2)
    }
}

@Suite("Money as text")
struct MoneyTextTests {
    @Test("decimalString is exact and minimal", arguments: [(Int64(12_340), "0.00001234"), (0, "0"), (12_500_000_000, "12.5"), (-1, "-0.000000001")])
    func decimalString(nanos: Int64, text: String) {
        #expect(Money(nanos: nanos).decimalString == text)
        #expect(Money(decimal: text)?.nanos == nanos)
    }
}

@Suite("Admin API types")
struct AdminAPITests {
    @Test("money travels as exact decimal text and round-trips")
    func roundTrip() throws {
        let totals = UsageTotals(requests: 3, promptTokens: 10, completionTokens: 20, rawCost: Money(nanos: 123_456_789),
                                 price: Money(nanos: 160_493_826), provisional: 1, confirmed: 2, unverified: 0, estimated: 0)
        let data = try AdminAPI.encoder.encode(totals)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""raw_cost":"0.123456789""#))
        #expect(text.contains(#""prompt_tokens":10"#))
        #expect(try AdminAPI.decoder.decode(UsageTotals.self, from: data) == totals)
        #expect(throws: DecodingError.self) { try AdminAPI.decoder.decode(Money.self, from: Data(#""lots""#.utf8)) }
    }
}
