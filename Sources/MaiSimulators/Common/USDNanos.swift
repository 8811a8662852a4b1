import Foundation

/// The simulators' charged money: a whole number of nano-dollars (10⁻⁹ USD).
///
/// The simulator's own type — not `MaiCore.Money` — so that the agent's books and the simulator's
/// record are computed by different code. Exact prices and sums below the nano-dollar are
/// `SimDecimal`; what a generation is charged is a `SimDecimal` rounded half to even into this.
public struct USDNanos: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var nanos: Int64

    public init(nanos: Int64) {
        self.nanos = nanos
    }

    public static let zero = USDNanos(nanos: 0)

    /// Parses a decimal USD string such as `"0.00000015"` strictly: `nil` when it has more than nine
    /// decimals (a whole number of nano-dollars is required), an exponent, or is not a number.
    public init?(usd text: String) {
        guard !text.contains("e"), !text.contains("E"), let value = SimDecimal(exactly: text), value.isWholeNanos else {
            return nil
        }
        self.nanos = value.wholeNanos
    }

    /// A dollar amount sent as a JSON number that a `Double` holds (key limits), to the nano-dollar.
    init?(dollars: Double) {
        guard dollars.isFinite, let value = SimDecimal.roundedNanos(ofJSONNumber: String(format: "%.9f", dollars)) else { return nil }
        self.nanos = value
    }

    /// The same amount as an exact decimal.
    public var decimal: SimDecimal { SimDecimal(nanos: nanos) }

    /// The exact amount as a plain decimal (`"0.00001234"`, `"0"`, `"12.5"`).
    public var decimalString: String { decimal.plainText }

    /// The amount as an exact plain JSON number.
    public var json: JSONValue { .number(decimalString) }

    public var description: String { "$" + decimalString }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = SimDecimal(exactly: text), value.isWholeNanos else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a whole number of nano-dollars")
        }
        self.nanos = value.wholeNanos
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalString)
    }

    public static func < (lhs: USDNanos, rhs: USDNanos) -> Bool { lhs.nanos < rhs.nanos }
    public static func + (lhs: USDNanos, rhs: USDNanos) -> USDNanos { USDNanos(nanos: lhs.nanos + rhs.nanos) }
    public static func += (lhs: inout USDNanos, rhs: USDNanos) { lhs.nanos += rhs.nanos }
    public static func - (lhs: USDNanos, rhs: USDNanos) -> USDNanos { USDNanos(nanos: lhs.nanos - rhs.nanos) }
    public static func * (lhs: USDNanos, rhs: Int) -> USDNanos { USDNanos(nanos: lhs.nanos * Int64(rhs)) }
}
