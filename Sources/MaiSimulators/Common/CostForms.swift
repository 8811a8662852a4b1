import Foundation

/// How the OpenRouter simulator writes money as JSON numbers.
///
/// Real OpenRouter writes `usage.cost`, `total_cost` and the `/activity` and `/key` usages as JSON
/// numbers in varying textual forms: plain (`0.000123`), with an exponent (`1.5e-7`, `2E-9`), with
/// more than nine decimals (`0.30000000000000004`, `0.0000012345678912`), or as integers (`0`, `1`).
/// `rotating` writes every amount in one of the forms of `Form`, picked deterministically from the
/// seed and a counter (the generation's serial number for a generation's amounts; the response
/// counter for the `/activity`, `/key`, `/keys` and `/credits` usages), so the same test run always
/// sees the same texts. Every form stands for the same amount: whole nano-dollars exactly, or
/// an exact sub-nano cost that rounds half to even to the nano-dollars charged.
public enum CostForms: Sendable, Equatable {
    /// Always the minimal plain decimal (`0.000123`, `0`).
    case plain
    /// Forms rotate, chosen by `seed` and a counter.
    case rotating(seed: UInt64)

    /// The textual forms, in rotation order.
    public enum Form: Int, Sendable, CaseIterable {
        /// `0.000123`, `0`, `1`, `12.5`.
        case plain
        /// `1.23e-4`, `1e0` — JavaScript's style.
        case exponent
        /// `1.23e-04`, `1.5e+02` — C's and Python's style.
        case paddedExponent
        /// `123E-6`, `0E0` — an integer with an upper-case exponent.
        case integerExponent
        /// The nearest `Double` with 17 significant digits (`0.00012300000000000001`,
        /// `9.9999999999999995e-08`): a float's noise below the nano-dollar. Only for whole
        /// nano-dollar amounts below 10⁶ dollars (else `longDecimals`).
        case float
        /// The exact amount with more than nine decimals: the unrounded cost when it has digits below
        /// the nano-dollar (`0.0000000025`), else padded with zeros (`0.000123000000000000`).
        case longDecimals
    }

    /// The form for `counter` and `field` (a small number per field, so two amounts in one object
    /// differ).
    public func form(counter: UInt64, field: Int) -> Form {
        guard case .rotating(let seed) = self else { return .plain }
        let mixed = Self.splitMix(seed &+ counter &* 0x9E37_79B9_7F4A_7C15)
        let index = (mixed &+ UInt64(field)) % UInt64(Form.allCases.count)
        return Form(rawValue: Int(index))!
    }

    /// `exact` (charged as `exact.roundedNanos`) written in the form for `counter` and `field`.
    public func text(_ exact: SimDecimal, counter: UInt64, field: Int) -> String {
        Self.text(exact, form: form(counter: counter, field: field))
    }

    /// A whole nano-dollar amount written in the form for `counter` and `field`.
    public func json(_ amount: USDNanos, counter: UInt64, field: Int) -> JSONValue {
        .number(text(amount.decimal, counter: counter, field: field))
    }

    /// `exact` written in `form`. Every result is a valid JSON number whose value rounds half to even
    /// to `exact.roundedNanos` nano-dollars.
    public static func text(_ exact: SimDecimal, form: Form) -> String {
        let (negative, digits, exponent) = exact.scientific
        let sign = negative ? "-" : ""
        let decimalExponent = exponent + digits.count - 1
        let mantissa = digits.count == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
        switch form {
        case .plain:
            return exact.plainText
        case .exponent:
            return sign + mantissa + "e" + String(decimalExponent)
        case .paddedExponent:
            let magnitude = String(abs(decimalExponent))
            return sign + mantissa + "e" + (decimalExponent < 0 ? "-" : "+") + (magnitude.count < 2 ? "0" : "") + magnitude
        case .integerExponent:
            return sign + digits + "E" + String(exponent)
        case .float:
            guard exact.isWholeNanos, abs(exact.wholeNanos) < 1_000_000_000_000_000 else { return text(exact, form: .longDecimals) }
            return String(format: "%.17g", Double(exact.wholeNanos) / 1e9)
        case .longDecimals:
            let plain = exact.plainText
            let decimals = plain.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
            guard decimals <= 9 else { return plain }
            return plain + (decimals == 0 ? "." : "") + String(repeating: "0", count: 18 - decimals)
        }
    }

    /// SplitMix64's finalizer: a well-mixed 64-bit value from any counter.
    static func splitMix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
