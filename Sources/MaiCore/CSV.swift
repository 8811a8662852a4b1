/// RFC 4180 CSV cells, with formula-looking cells defused for spreadsheets.
public enum CSV {
    /// `value` as one cell: quoted when needed; a cell starting like a formula (`=`, `+`, `@`, a tab,
    /// or `-` that is not a number) is prefixed with `'` so a spreadsheet never runs it. Control
    /// characters other than line breaks (ESC, NUL…) and bidi overrides become U+FFFD: CSV is also
    /// read in terminals.
    public static func cell(_ value: String) -> String {
        let unsafe = { (scalar: Unicode.Scalar) in TerminalSafe.isUnsafe(scalar) && scalar != "\n" && scalar != "\r" && scalar != "\t" }
        var value = value
        if value.unicodeScalars.contains(where: unsafe) {
            value = String(String.UnicodeScalarView(value.unicodeScalars.map { unsafe($0) ? "\u{FFFD}" : $0 }))
        }
        if let first = value.first, "=+@\t\r".contains(first) || (first == "-" && Double(value) == nil) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One line of cells.
    public static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",")
    }
}
