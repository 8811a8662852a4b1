/// The simulators' own exact decimal for US dollars, resolution 10⁻¹⁸ (an "atto-dollar").
///
/// Deliberately independent of `MaiCore.Money` (the agent's type): the OpenRouter simulator prices,
/// sums, rounds, parses and writes money with this code only, so a test that compares the agent's
/// books with the simulator's record compares two implementations, not one with itself.
///
/// The value is `wholeNanos × 10⁻⁹ + attos × 10⁻¹⁸` with `0 ≤ attos < 10⁹` (`wholeNanos` is the
/// floor), so every price with up to 18 decimals and every sum or multiple of one is exact in two
/// `Int64`s (range about ±9.2 billion dollars).
public struct SimDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    static let billion: Int64 = 1_000_000_000

    /// `⌊value / 10⁻⁹⌋`.
    public private(set) var wholeNanos: Int64
    /// The rest below one nano-dollar, in 10⁻¹⁸ dollars, `0..<10⁹`.
    public private(set) var attos: Int64

    /// `wholeNanos × 10⁻⁹ + attos × 10⁻¹⁸`, any `attos` (normalized here).
    public init(wholeNanos: Int64, attos: Int64 = 0) {
        var nanos = wholeNanos + attos / Self.billion
        var rest = attos % Self.billion
        if rest < 0 { rest += Self.billion; nanos -= 1 }
        self.wholeNanos = nanos
        self.attos = rest
    }

    public init(nanos: Int64) { self.init(wholeNanos: nanos) }

    public static let zero = SimDecimal(wholeNanos: 0)

    /// The value is a whole number of nano-dollars.
    public var isWholeNanos: Bool { attos == 0 }

    /// Rounded to the nano-dollar, half to even — the simulator's one rounding rule: what a
    /// generation is charged, and what a cost text with more than nine decimals stands for.
    public var roundedNanos: Int64 {
        let half = Self.billion / 2
        if attos > half || (attos == half && wholeNanos & 1 != 0) { return wholeNanos + 1 }
        return wholeNanos
    }

    public static func + (lhs: SimDecimal, rhs: SimDecimal) -> SimDecimal {
        SimDecimal(wholeNanos: lhs.wholeNanos + rhs.wholeNanos, attos: lhs.attos + rhs.attos)
    }

    public static func += (lhs: inout SimDecimal, rhs: SimDecimal) { lhs = lhs + rhs }

    public static func - (lhs: SimDecimal, rhs: SimDecimal) -> SimDecimal {
        SimDecimal(wholeNanos: lhs.wholeNanos - rhs.wholeNanos, attos: lhs.attos - rhs.attos)
    }

    /// `value × count`, exact (traps on overflow like integer arithmetic).
    public static func * (lhs: SimDecimal, rhs: Int) -> SimDecimal {
        let factor = Int64(rhs)
        let wide = lhs.attos.multipliedFullWidth(by: factor)
        let (carry, rest) = billion.dividingFullWidth(wide)
        let (nanos, overflow) = lhs.wholeNanos.multipliedReportingOverflow(by: factor)
        precondition(!overflow, "SimDecimal overflow")
        return SimDecimal(wholeNanos: nanos + carry, attos: rest)
    }

    public static func < (lhs: SimDecimal, rhs: SimDecimal) -> Bool {
        (lhs.wholeNanos, lhs.attos) < (rhs.wholeNanos, rhs.attos)
    }

    public var description: String { "$" + plainText }

    // MARK: Digits

    /// The value as sign, significant digits and a power of ten: `value = ±digits × 10^exponent`,
    /// no leading or trailing zeros in `digits` (`"0"`, exponent 0 for zero).
    var scientific: (negative: Bool, digits: String, exponent: Int) {
        let negative = self < .zero
        let magnitude = negative ? SimDecimal.zero - self : self
        var digits = Array(String(magnitude.wholeNanos).utf8)
        let rest = Array(String(magnitude.attos).utf8)
        digits += Array(repeating: UInt8(ascii: "0"), count: 9 - rest.count) + rest
        var exponent = -18
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast(); exponent += 1 }
        while digits.count > 1, digits.first == UInt8(ascii: "0") { digits.removeFirst() }
        if digits == [UInt8(ascii: "0")] { return (false, "0", 0) }
        return (negative, String(decoding: digits, as: UTF8.self), exponent)
    }

    /// The exact value as a plain decimal, no exponent, no trailing zeros: `"0.0000000025"`, `"12.5"`, `"0"`.
    public var plainText: String {
        let (negative, digits, exponent) = scientific
        return (negative ? "-" : "") + Self.plain(digits: digits, exponent: exponent)
    }

    static func plain(digits: String, exponent: Int) -> String {
        if exponent >= 0 { return digits == "0" ? "0" : digits + String(repeating: "0", count: exponent) }
        let point = digits.count + exponent
        if point > 0 {
            return String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        }
        return "0." + String(repeating: "0", count: -point) + digits
    }

    // MARK: Parsing

    /// A JSON number (`0.000123`, `1.5e-7`, `2E-9`, `0.30000000000000004`, `12`) split into sign,
    /// its digits without the point, and the power of ten of the last digit; `nil` when `text` is not
    /// a JSON number. Exponents beyond ±10⁹ are saturated (the value is then 0 or an overflow anyway).
    static func split(jsonNumber text: String) -> (negative: Bool, digits: [UInt8], exponent: Int)? {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes = bytes.dropFirst() }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let integer = bytes.prefix(while: isDigit)
        guard !integer.isEmpty, integer.count == 1 || integer.first != UInt8(ascii: "0") else { return nil }
        bytes = bytes.dropFirst(integer.count)
        var fraction: ArraySlice<UInt8> = []
        if bytes.first == UInt8(ascii: ".") {
            fraction = bytes.dropFirst().prefix(while: isDigit)
            guard !fraction.isEmpty else { return nil }
            bytes = bytes.dropFirst(1 + fraction.count)
        }
        var exponent = 0
        if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            var negativeExponent = false
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                negativeExponent = sign == UInt8(ascii: "-")
                bytes = bytes.dropFirst()
            }
            let exponentDigits = bytes.prefix(while: isDigit)
            guard !exponentDigits.isEmpty else { return nil }
            bytes = bytes.dropFirst(exponentDigits.count)
            for digit in exponentDigits where exponent < 1_000_000_000 {
                exponent = exponent * 10 + Int(digit - UInt8(ascii: "0"))
            }
            if negativeExponent { exponent = -exponent }
        }
        guard bytes.isEmpty else { return nil }
        let digits = (integer + fraction).map { $0 - UInt8(ascii: "0") }
        return (negative, digits, exponent - fraction.count)
    }

    /// The digits of `|value| × 10^scale` split at the point: the integer part's digits (no leading
    /// zeros), and what is cut off — its first digit and whether anything after it is non-zero.
    /// Powers of ten beyond 40 give `nil` (no amount in range has that many digits).
    private static func scaled(_ digits: [UInt8], exponent: Int, scale: Int)
        -> (kept: [UInt8], firstCut: UInt8, restNonZero: Bool)?
    {
        let power = exponent + scale
        let significant = Array(digits.drop { $0 == 0 })
        if significant.isEmpty { return ([], 0, false) }
        if power >= 0 {
            guard power <= 40 else { return nil }
            return (significant + Array(repeating: 0, count: power), 0, false)
        }
        let dropCount = -power
        if dropCount > significant.count {
            // The first cut digit is an implied 0; the significant digits follow it.
            return ([], 0, true)
        }
        let cut = significant.suffix(dropCount)
        return (Array(significant.dropLast(dropCount)), cut.first ?? 0, cut.dropFirst().contains { $0 != 0 })
    }

    /// `digits` as an `Int64`, `nil` on overflow.
    private static func integer(_ digits: some Collection<UInt8>) -> Int64? {
        var value: Int64 = 0
        for digit in digits {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(digit))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }

    /// The exact value of a JSON number text when it is a whole number of 10⁻¹⁸ dollars in range,
    /// else `nil`.
    public init?(exactly text: String) {
        guard let (negative, digits, exponent) = Self.split(jsonNumber: text),
              let atto = Self.scaled(digits, exponent: exponent, scale: 18), atto.firstCut == 0, !atto.restNonZero,
              let whole = Self.integer(atto.kept.dropLast(9)), let rest = Self.integer(atto.kept.suffix(9))
        else { return nil }
        let magnitude = SimDecimal(wholeNanos: whole, attos: rest)
        self = negative ? SimDecimal.zero - magnitude : magnitude
    }

    /// What a JSON number text stands for in whole nano-dollars under the simulator's rounding rule
    /// (half to even at 10⁻⁹, from all its digits however many); `nil` when it is not a JSON number
    /// or out of range.
    public static func roundedNanos(ofJSONNumber text: String) -> Int64? {
        guard let (negative, digits, exponent) = split(jsonNumber: text) else { return nil }
        guard let nanos = scaled(digits, exponent: exponent, scale: 9), var value = integer(nanos.kept) else { return nil }
        if nanos.firstCut > 5 || (nanos.firstCut == 5 && (nanos.restNonZero || value & 1 != 0)) {
            let (up, overflow) = value.addingReportingOverflow(1)
            guard !overflow else { return nil }
            value = up
        }
        return negative ? -value : value
    }
}

extension SimDecimal: Codable {
    /// Encoded as its exact plain decimal text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = SimDecimal(exactly: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an exact dollar amount")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(plainText)
    }
}
