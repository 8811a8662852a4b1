import MaiCore

/// A plain-text table: a header row and aligned columns, for stdout.
///
/// Columns are separated by two spaces; numbers may be right-aligned. Widths count characters
/// (grapheme clusters), so names with accents line up. No trailing spaces. Cells hold text from
/// clients' agents, so control characters and bidi overrides are neutralised (`TerminalSafe`).
public struct Table: Sendable {
    /// How a column's cells are aligned.
    public enum Alignment: Sendable {
        case left, right
    }

    /// One column: its header and alignment.
    public struct Column: Sendable {
        /// Header text (conventionally upper case: `SLUG`, `DOMAIN`).
        public var title: String
        /// Alignment of the cells and the header.
        public var alignment: Alignment

        /// Creates a column.
        public init(_ title: String, alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    /// The columns.
    public var columns: [Column]
    /// The rows; a short row is padded with empty cells, extra cells are ignored.
    public var rows: [[String]] = []

    /// Creates an empty table.
    public init(columns: [Column]) {
        self.columns = columns
    }

    /// Adds a row.
    public mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table as lines of text, each ending in a newline.
    public func render() -> String {
        let cells = ([columns.map(\.title)] + rows).map { row in
            columns.indices.map { index in
                index < row.count ? TerminalSafe.cell(row[index].replacingNewlines()) : ""
            }
        }
        let widths = columns.indices.map { index in cells.map { $0[index].count }.max() ?? 0 }
        var output = ""
        for row in cells {
            var line = ""
            for (index, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += "  " }
                line += columns[index].alignment == .right ? padding + cell : cell + padding
            }
            while line.last == " " { line.removeLast() }
            output += line + "\n"
        }
        return output
    }
}

private extension String {
    /// A cell is one line: newlines and tabs become spaces.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r\n" || $0 == "\t" ? " " : $0 })
    }
}
