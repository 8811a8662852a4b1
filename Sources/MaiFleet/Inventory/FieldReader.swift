/// Reads typed fields out of one table of a fleet file, collecting a `FleetProblem` for every wrong
/// type, missing required key and unknown key instead of stopping at the first.
struct FieldReader {
    /// A value with the line it was written on.
    struct Located<Value> {
        var value: Value
        var line: Int
    }

    let file: String
    let table: TOMLTable
    private(set) var problems: [FleetProblem] = []
    private(set) var known: [String] = []

    init(file: String, table: TOMLTable) {
        self.file = file
        self.table = table
    }

    /// `key` as the operator sees it: `hetzner.location`, or `domain` in a client file.
    func field(_ key: String) -> String {
        table.name.isEmpty ? key : "\(table.name).\(key)"
    }

    mutating func problem(_ key: String, line: Int?, _ message: String) {
        problems.append(FleetProblem(file: file, line: line, field: field(key), message))
    }

    private mutating func entry(_ key: String, required example: String?) -> TOMLTable.Entry? {
        known.append(key)
        if let entry = table.entry(key) { return entry }
        if let example {
            problem(key, line: table.line, "required — add \(key) = \(example)\(table.name.isEmpty ? "" : " under [\(table.name)]")")
        }
        return nil
    }

    private mutating func wrongType(_ entry: TOMLTable.Entry, expected: String, example: String) {
        var message = "expected \(expected) such as \(example), found \(entry.value.typeDescription)"
        if case .float = entry.value.kind, expected == "a decimal string" {
            message += " — quote it, so no binary rounding touches it"
        }
        problem(entry.key, line: entry.line, message)
    }

    /// A string; `example` is shown (TOML-quoted as needed) when it is missing or of the wrong type.
    mutating func string(_ key: String, required: Bool = false, example: String) -> Located<String>? {
        guard let entry = entry(key, required: required ? example : nil) else { return nil }
        guard case .string(let text) = entry.value.kind else {
            wrongType(entry, expected: "a string", example: example)
            return nil
        }
        return Located(value: text, line: entry.line)
    }

    /// A decimal written as a string (`"1.3"`); an integer is accepted too. Floats are refused.
    mutating func decimalText(_ key: String, required: Bool = false, example: String) -> Located<String>? {
        guard let entry = entry(key, required: required ? example : nil) else { return nil }
        switch entry.value.kind {
        case .string(let text): return Located(value: text, line: entry.line)
        case .integer(let number): return Located(value: String(number), line: entry.line)
        default:
            wrongType(entry, expected: "a decimal string", example: example)
            return nil
        }
    }

    mutating func integer(_ key: String, example: String) -> Located<Int>? {
        guard let entry = entry(key, required: nil) else { return nil }
        guard case .integer(let number) = entry.value.kind else {
            wrongType(entry, expected: "an integer", example: example)
            return nil
        }
        return Located(value: number, line: entry.line)
    }

    /// An integer within `range`, or `nil` (with a problem) outside it.
    mutating func integer(_ key: String, in range: ClosedRange<Int>, example: String) -> Located<Int>? {
        guard let located = integer(key, example: example) else { return nil }
        guard range.contains(located.value) else {
            problem(key, line: located.line, "\(located.value) is out of range — expected \(range.lowerBound)–\(range.upperBound)")
            return nil
        }
        return located
    }

    mutating func boolean(_ key: String, example: String) -> Located<Bool>? {
        guard let entry = entry(key, required: nil) else { return nil }
        guard case .boolean(let flag) = entry.value.kind else {
            wrongType(entry, expected: "true or false", example: example)
            return nil
        }
        return Located(value: flag, line: entry.line)
    }

    /// An array of strings; each element keeps its own line (arrays may span lines).
    mutating func strings(_ key: String, required: Bool = false, example: String) -> Located<[Located<String>]>? {
        guard let entry = entry(key, required: required ? example : nil) else { return nil }
        guard case .array(let items) = entry.value.kind else {
            wrongType(entry, expected: "an array of strings", example: example)
            return nil
        }
        var result: [Located<String>] = []
        for item in items {
            guard case .string(let text) = item.kind else {
                problem(key, line: item.line, "expected strings in the array such as \(example), found \(item.typeDescription)")
                continue
            }
            result.append(Located(value: text, line: item.line))
        }
        return Located(value: result, line: entry.line)
    }

    /// Reports every key of the table that no reader asked for, with a suggestion when close.
    /// `elsewhere` maps keys that belong to another table to that table's name.
    mutating func rejectUnknownKeys(elsewhere: [String: String] = [:]) {
        for entry in table.entries where !known.contains(entry.key) {
            var message = "unknown key"
            if let home = elsewhere[entry.key] {
                message += " here — \(entry.key) belongs under [\(home)]"
            } else if let suggestion = KeySuggestion.closest(to: entry.key, among: known) {
                message += " — did you mean \(suggestion)?"
            } else {
                message += " — expected one of: \(known.joined(separator: ", "))"
            }
            problem(entry.key, line: entry.line, message)
        }
    }
}
