import Foundation

/// How long an access token lives: a duration such as `15m`, `1h30m`, `4w`, or `-1` for never.
///
/// Open WebUI's `JWT_EXPIRES_IN` format: a whole number followed by `ms`, `s`, `m`, `h`, `d` or `w`,
/// optionally several in a row.
public struct TokenLifetime: Sendable, Equatable, CustomStringConvertible {
    /// Seconds the token lives, or `nil` for a token without expiry.
    public let seconds: Int64?
    /// The text it was parsed from, shown back to the admin.
    public let text: String

    /// The default: fifteen minutes.
    public static let fifteenMinutes = TokenLifetime(seconds: 900, text: "15m")

    init(seconds: Int64?, text: String) {
        self.seconds = seconds
        self.text = text
    }

    /// Parses `text`; returns `nil` when it is not a valid lifetime.
    public init?(parsing raw: String) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text == "-1" {
            self.init(seconds: nil, text: text)
            return
        }
        var total: Int64 = 0
        var number: Int64? = nil
        var index = text.startIndex
        var sawUnit = false
        while index < text.endIndex {
            let character = text[index]
            if let digit = character.wholeNumberValue, character.isASCII {
                let (times, overflow1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (plus, overflow2) = times.addingReportingOverflow(Int64(digit))
                if overflow1 || overflow2 { return nil }
                number = plus
                index = text.index(after: index)
                continue
            }
            guard let value = number else { return nil }
            let rest = text[index...]
            let unitSeconds: (multiplier: Int64, divisor: Int64, length: Int)
            if rest.hasPrefix("ms") {
                unitSeconds = (1, 1000, 2)
            } else {
                switch character {
                case "s": unitSeconds = (1, 1, 1)
                case "m": unitSeconds = (60, 1, 1)
                case "h": unitSeconds = (3600, 1, 1)
                case "d": unitSeconds = (86_400, 1, 1)
                case "w": unitSeconds = (604_800, 1, 1)
                default: return nil
                }
            }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: unitSeconds.multiplier)
            if overflow { return nil }
            total += scaled / unitSeconds.divisor
            number = nil
            sawUnit = true
            index = text.index(index, offsetBy: unitSeconds.length)
        }
        // A bare number (no unit) is ambiguous; require the unit.
        guard sawUnit, number == nil, total > 0 else { return nil }
        self.init(seconds: total, text: text)
    }

    /// The text form, e.g. `15m`.
    public var description: String { text }
}
