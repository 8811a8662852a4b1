/// One thing wrong with the fleet files: where it is and what is expected instead.
///
/// Printed as `fleet/clients/acme.toml:7: domain: "acme" is not a hostname — …`, the form editors
/// and CI logs turn into links.
public struct FleetProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file, as the operator named it (`fleet/clients/acme.toml`).
    public var file: String
    /// 1-based line, when the problem sits on one.
    public var line: Int?
    /// The field (`domain`, `hetzner.location`); `nil` for whole-file problems.
    public var field: String?
    /// What is wrong and what to write instead.
    public var message: String

    /// Creates a problem.
    public init(file: String, line: Int?, field: String?, _ message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    /// `file:line: field: message`.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let field { text += "\(field): " }
        return text + message
    }
}

/// The fleet files are invalid; `problems` lists every problem found, in file order.
public struct FleetValidationError: Error, Sendable, CustomStringConvertible {
    /// All problems.
    public var problems: [FleetProblem]

    /// Creates the error.
    public init(problems: [FleetProblem]) {
        self.problems = problems
    }

    /// One problem per line.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}

extension Array where Element == FleetProblem {
    /// Sorted by line (whole-file problems first), keeping the order of problems on the same line.
    func sortedByLine() -> [FleetProblem] {
        enumerated().sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }.map(\.element)
    }
}
