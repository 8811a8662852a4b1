/// An amount of US dollars in integer nano-dollars (10⁻⁹ USD), the simulators' exact money unit.
///
/// OpenRouter prices are decimal strings in USD per token; every price we simulate is a whole number
/// of nano-dollars, so `tokens × price` is exact integer arithmetic.
public struct USDNanos: Sendable, Hashable, Comparable, Codable {
    public var nanos: Int64

    public init(nanos: Int64) { self.nanos = nanos }

    public static let zero = USDNanos(nanos: 0)

    /// Parses a decimal USD string such as `"0.00000015"`; `nil` when it has more than nine decimals
    /// or is not a number.
    public init?(usd text: String) {
        var text = Substring(text)
        var negative = false
        if text.first == "-" { negative = true; text = text.dropFirst() }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty || parts.count == 2,
              let whole = wholeText.isEmpty ? 0 : Int64(wholeText) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard digits.count <= 9, digits.allSatisfy(\.isASCII), let value = digits.isEmpty ? 0 : Int64(digits) else {
                return nil
            }
            fraction = value
            for _ in digits.count..<9 { fraction *= 10 }
        }
        let total = whole * 1_000_000_000 + fraction
        self.nanos = negative ? -total : total
    }

    public static func < (lhs: USDNanos, rhs: USDNanos) -> Bool { lhs.nanos < rhs.nanos }
    public static func + (lhs: USDNanos, rhs: USDNanos) -> USDNanos { USDNanos(nanos: lhs.nanos + rhs.nanos) }
    public static func - (lhs: USDNanos, rhs: USDNanos) -> USDNanos { USDNanos(nanos: lhs.nanos - rhs.nanos) }
    public static func * (lhs: USDNanos, rhs: Int) -> USDNanos { USDNanos(nanos: lhs.nanos * Int64(rhs)) }
    public static func += (lhs: inout USDNanos, rhs: USDNanos) { lhs.nanos += rhs.nanos }

    /// The amount as a plain decimal (`"0.00001234"`, `"0"`, `"12.5"`): no exponent, no trailing zeros.
    public var decimalString: String {
        let negative = nanos < 0
        let magnitude = nanos.magnitude
        let whole = magnitude / 1_000_000_000
        let fraction = magnitude % 1_000_000_000
        var text = String(whole)
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return negative ? "-" + text : text
    }

    /// The amount as an exact JSON number.
    public var json: JSONValue { .number(decimalString) }
}
