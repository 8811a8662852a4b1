import Foundation

/// An amount of US dollars as a whole number of nano-dollars (10⁻⁹ USD). Never floating point.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Nano-dollars.
    public var nanos: Int64

    public init(nanos: Int64) {
        self.nanos = nanos
    }

    public static let zero = Money(nanos: 0)

    /// Encoded as its exact decimal text (`"0.000123456"`): readable, and no float ever touches it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let money = Money(decimal: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a dollar amount")
        }
        self = money
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(decimalString)
    }

    /// Parses a decimal amount in any form a JSON number takes — `"0.000123"`, `"12"`, `"1.5e-7"`,
    /// `"2E-9"`, `"0.30000000000000004"` — exactly; more than 9 decimals are rounded half to even to
    /// the nano-dollar (`"0.0000000025"` → 2, `"0.0000000035"` → 4, `"0.00000000250001"` → 3), the same
    /// rule the OpenRouter simulator charges by. Returns `nil` for anything that is not a decimal
    /// number or does not fit.
    public init?(decimal text: String) {
        var text = Substring(text.trimmingCharacters(in: .whitespaces))
        var negative = false
        if text.hasPrefix("-") { negative = true; text = text.dropFirst() }
        // Scientific notation (1.5e-7) as JSON allows it; the exponent saturates so that a huge one
        // can neither overflow nor allocate (it means 0, or an amount out of range).
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var exponentText = text[text.index(after: e)...]
            var negativeExponent = false
            if let sign = exponentText.first, sign == "+" || sign == "-" {
                negativeExponent = sign == "-"
                exponentText = exponentText.dropFirst()
            }
            guard !exponentText.isEmpty, exponentText.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            for digit in exponentText.utf8 where exponent < 1_000_000 {
                exponent = exponent * 10 + Int(digit - 48)
            }
            if negativeExponent { exponent = -exponent }
            text = text[..<e]
        }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.count <= 2 else { return nil }
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty),
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var digits = Array((whole + fraction).utf8).map { Int64($0 - 48) }
        // Value = digits × 10^(exponent − fraction.count); we want nano = value × 10^9.
        var shift = exponent - fraction.count + 9
        while digits.count > 1, digits.first == 0 { digits.removeFirst() }
        if digits == [0] { self.nanos = 0; return }
        // Rounding half to even needs the first dropped digit and whether any later one is non-zero.
        var firstDropped: Int64 = 0
        var restNonZero = false
        if shift < 0 {
            let drop = -shift
            if drop > digits.count {
                // The first dropped digit is an implied 0 and the (non-zero) digits come after it.
                restNonZero = true
                digits = [0]
            } else {
                let dropped = digits.suffix(drop)
                firstDropped = dropped.first ?? 0
                restNonZero = dropped.dropFirst().contains { $0 != 0 }
                digits.removeLast(drop)
                if digits.isEmpty { digits = [0] }
            }
            shift = 0
        }
        guard digits.count + shift <= 19 else { return nil }
        var value: Int64 = 0
        for digit in digits + Array(repeating: 0, count: shift) {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = plus
        }
        if firstDropped > 5 || (firstDropped == 5 && (restNonZero || value % 2 != 0)) {
            let (up, overflow) = value.addingReportingOverflow(1)
            if overflow { return nil }
            value = up
        }
        self.nanos = negative ? -value : value
    }

    /// Exact: `Decimal` carries the decimal digits JSON sent.
    public init?(_ decimal: Decimal) {
        self.init(decimal: decimal.description)
    }

    /// `amount × numerator / denominator`, rounded half-up — for prices and markups.
    public func scaled(by numerator: Int64, over denominator: Int64) -> Money {
        precondition(denominator > 0)
        let product = nanos.multipliedFullWidth(by: numerator)
        let (quotient, remainder) = denominator.dividingFullWidth(product)
        let roundAway = remainder.magnitude * 2 >= denominator.magnitude
        let negative = (nanos < 0) != (numerator < 0)
        return Money(nanos: roundAway ? quotient + (negative ? -1 : 1) : quotient)
    }

    /// Dollars with `decimals` places (rounded half-up), e.g. `0.000123`.
    public func formatted(decimals: Int = 6) -> String {
        precondition((0...9).contains(decimals))
        let step = Int64(pow(10, Double(9 - decimals)))
        let magnitude = nanos.magnitude
        let rounded = (magnitude + UInt64(step / 2)) / UInt64(step)
        let unit = UInt64(pow(10, Double(decimals)))
        let whole = rounded / unit
        let fraction = rounded % unit
        let sign = nanos < 0 && rounded > 0 ? "-" : ""
        guard decimals > 0 else { return "\(sign)\(whole)" }
        let fractionText = String(fraction)
        return "\(sign)\(whole).\(String(repeating: "0", count: decimals - fractionText.count))\(fractionText)"
    }

    /// The exact amount as a plain decimal (`"0.00001234"`, `"0"`, `"12.5"`): no exponent, no
    /// trailing zeros — what a JSON number carrying money should say.
    public var decimalString: String {
        let magnitude = nanos.magnitude
        var text = String(magnitude / 1_000_000_000)
        let fraction = magnitude % 1_000_000_000
        if fraction > 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return nanos < 0 ? "-" + text : text
    }

    /// For limits and prices people set: 2 decimals for whole cents, else up to 6.
    public var humanAmount: String {
        nanos % 10_000_000 == 0 ? formatted(decimals: 2) : formatted(decimals: 6)
    }

    public var description: String { "$" + formatted() }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.nanos < rhs.nanos }
    public static func + (lhs: Money, rhs: Money) -> Money { Money(nanos: lhs.nanos + rhs.nanos) }
    public static func += (lhs: inout Money, rhs: Money) { lhs.nanos += rhs.nanos }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(nanos: lhs.nanos - rhs.nanos) }
    public static func * (lhs: Money, rhs: Int) -> Money { Money(nanos: lhs.nanos * Int64(rhs)) }
}
