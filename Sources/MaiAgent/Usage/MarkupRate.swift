import Foundation
import MaiCore

/// A markup such as `1.3`, kept as an exact fraction (13/10) so prices are exact.
struct MarkupRate: Sendable, Equatable, CustomStringConvertible {
    let numerator: Int64
    let denominator: Int64
    let text: String

    /// Parses a positive decimal with at most 6 decimals; `nil` otherwise.
    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              parts.count == 1 || parts[1].count <= 6
        else { return nil }
        let decimals = parts.count == 2 ? parts[1].count : 0
        guard let value = Int64(parts.joined()), value > 0 else { return nil }
        var denominator: Int64 = 1
        for _ in 0..<decimals { denominator *= 10 }
        self.numerator = value
        self.denominator = denominator
        self.text = text
    }

    /// `raw × rate`, rounded half-up to the nano-dollar.
    func price(_ raw: Money) -> Money {
        raw.scaled(by: numerator, over: denominator)
    }

    var description: String { text }

    static let standard = MarkupRate("1.3")!
}
