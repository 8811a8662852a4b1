import MaiCore

/// The simulators' money: `MaiCore.Money` (integer nano-dollars), under the name the simulator code uses.
public typealias USDNanos = Money

extension Money {
    /// Parses a decimal USD string such as `"0.00000015"` strictly: `nil` when it has more than nine
    /// decimals (a simulated price must be a whole number of nano-dollars) or is not a number.
    public init?(usd text: String) {
        let fraction = text.split(separator: ".", maxSplits: 1).dropFirst().first ?? ""
        guard fraction.count <= 9, !text.contains("e"), !text.contains("E") else { return nil }
        self.init(decimal: text)
    }

    /// The amount as an exact JSON number.
    public var json: JSONValue { .number(decimalString) }
}
