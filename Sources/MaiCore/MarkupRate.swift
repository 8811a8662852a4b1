/// The factor applied to OpenRouter cost when billing a client (`1.3` = cost + 30 %), exact to six
/// decimals: stored as millionths, never as a floating-point number.
public struct MarkupRate: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The rate × 1,000,000.
    public var millionths: Int64

    /// The default, 1.3.
    public static let standard = MarkupRate(millionths: 1_300_000)

    /// Creates a rate from millionths.
    public init(millionths: Int64) {
        self.millionths = millionths
    }

    /// Parses `"1.3"`: a decimal greater than 0 with at most six decimals.
    public init?(decimal text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts.count == 1 || parts[1].count <= 6, parts[0].count <= 12
        else { return nil }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard let value = Int64(parts[0] + fraction + String(repeating: "0", count: 6 - fraction.count)), value > 0 else { return nil }
        self.millionths = value
    }

    /// `raw × rate`, rounded half-up to the nano-dollar: the client price.
    public func price(_ raw: Money) -> Money {
        raw.scaled(by: millionths, over: 1_000_000)
    }

    /// The shortest exact decimal text (`"1.3"`).
    public var description: String {
        let whole = millionths / 1_000_000
        var fraction = String(millionths % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }

    /// Encoded as its decimal text, like `Money`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes the decimal text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let rate = MarkupRate(decimal: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a markup rate")
        }
        self = rate
    }
}
