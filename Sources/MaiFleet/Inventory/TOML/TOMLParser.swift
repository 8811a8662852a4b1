/// Reads the subset of TOML that fleet files use, remembering the line of every key and value.
///
/// TOMLKit parses all of TOML but only reports positions for syntax errors; validation must name
/// the line of each field, so the fleet files get this small parser. Supported: comments, `[table]`
/// headers, bare and quoted keys, basic and literal strings, integers, floats (kept as text so
/// validation can refuse them), booleans, and arrays (multi-line, trailing comma). Refused with a
/// clear message: dotted keys, nested or array tables, inline tables, multi-line strings, dates.
public struct TOMLParser {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1

    /// Parses `text`; throws `TOMLSyntaxError` at the first problem.
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLDocument {
        var parser = TOMLParser(scalars: Array(text.unicodeScalars))
        return try parser.document()
    }

    private init(scalars: [Unicode.Scalar]) {
        self.scalars = scalars
    }

    private var current: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func advance() {
        if current == "\n" { line += 1 }
        index += 1
    }

    private func fail(_ message: String) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line, message)
    }

    private mutating func document() throws(TOMLSyntaxError) -> TOMLDocument {
        var document = TOMLDocument()
        var table = TOMLTable(name: "", line: nil)
        var isRoot = true
        func close(_ table: TOMLTable, isRoot: Bool, into document: inout TOMLDocument) {
            if isRoot { document.root = table } else { document.tables.append(table) }
        }
        while true {
            skipBlank()
            guard let scalar = current else { break }
            if scalar == "\n" || scalar == "\r" {
                try endOfLine()
                continue
            }
            if scalar == "#" {
                skipComment()
                continue
            }
            if scalar == "[" {
                let headerLine = line
                let name = try tableHeader()
                if document.table(name) != nil || tableName(name, matches: table, isRoot: isRoot) {
                    throw TOMLSyntaxError(line: headerLine, "table [\(name)] is defined twice — merge the two sections")
                }
                close(table, isRoot: isRoot, into: &document)
                table = TOMLTable(name: name, line: headerLine)
                isRoot = false
                try endOfLine()
                continue
            }
            let keyLine = line
            let key = try self.key()
            skipBlank()
            if current == "." {
                throw fail("dotted keys such as \(key).… are not used in fleet files — put the key under its [table] header")
            }
            guard current == "=" else {
                throw fail("expected = after the key \(key)")
            }
            advance()
            skipBlank()
            let value = try self.value()
            if table.entry(key) != nil {
                throw TOMLSyntaxError(line: keyLine, "\(key) is set twice in \(isRoot ? "this file" : "[\(table.name)]") — keep one")
            }
            table.entries.append(.init(key: key, line: keyLine, value: value))
            try endOfLine()
        }
        close(table, isRoot: isRoot, into: &document)
        return document
    }

    private func tableName(_ name: String, matches table: TOMLTable, isRoot: Bool) -> Bool {
        !isRoot && table.name == name
    }

    private mutating func tableHeader() throws(TOMLSyntaxError) -> String {
        advance()  // [
        if current == "[" {
            throw fail("arrays of tables ([[…]]) are not used in fleet files")
        }
        skipBlank()
        let name = try key()
        skipBlank()
        if current == "." {
            throw fail("nested tables such as [\(name).…] are not used in fleet files")
        }
        guard current == "]" else { throw fail("expected ] to close the table header [\(name)") }
        advance()
        return name
    }

    /// After a key/value or header: blanks, an optional comment, then a newline or the end.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipBlank()
        if current == "#" { skipComment() }
        if current == "\r", peek(1) == "\n" { advance() }
        guard let scalar = current else { return }
        guard scalar == "\n" else {
            throw fail("unexpected text after the value — write one key = value per line (a # starts a comment)")
        }
        advance()
    }

    private mutating func skipBlank() {
        while let scalar = current, scalar == " " || scalar == "\t" { advance() }
    }

    private mutating func skipComment() {
        while let scalar = current, scalar != "\n" { advance() }
    }

    private static func isBare(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
        default: false
        }
    }

    private mutating func key() throws(TOMLSyntaxError) -> String {
        guard let scalar = current else { throw fail("expected a key") }
        if scalar == "\"" { return try basicString() }
        if scalar == "'" { return try literalString() }
        var key = ""
        while let scalar = current, Self.isBare(scalar) {
            key.unicodeScalars.append(scalar)
            advance()
        }
        if key.isEmpty {
            throw fail("expected a key (letters, digits, _ and -), found \"\(scalar)\"")
        }
        return key
    }

    private mutating func value() throws(TOMLSyntaxError) -> TOMLValue {
        let valueLine = line
        guard let scalar = current, scalar != "\n", scalar != "#" else {
            throw fail("expected a value after =")
        }
        switch scalar {
        case "\"":
            return TOMLValue(.string(try basicString()), line: valueLine)
        case "'":
            return TOMLValue(.string(try literalString()), line: valueLine)
        case "[":
            return TOMLValue(.array(try array()), line: valueLine)
        case "{":
            throw fail("inline tables ({ … }) are not used in fleet files — use a [table] or plain keys")
        default:
            return TOMLValue(try bareValue(), line: valueLine)
        }
    }

    private mutating func array() throws(TOMLSyntaxError) -> [TOMLValue] {
        advance()  // [
        var items: [TOMLValue] = []
        while true {
            skipArrayBlank()
            if current == "]" { advance(); return items }
            if current == nil { throw fail("the array is not closed — add ]") }
            items.append(try value())
            skipArrayBlank()
            if current == nil { throw fail("the array is not closed — add ]") }
            if current == "," {
                advance()
            } else if current == "]" {
                advance()
                return items
            } else {
                throw fail("expected , or ] in the array")
            }
        }
    }

    private mutating func skipArrayBlank() {
        while let scalar = current {
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                advance()
            } else if scalar == "#" {
                skipComment()
            } else {
                return
            }
        }
    }

    private mutating func bareValue() throws(TOMLSyntaxError) -> TOMLValue.Kind {
        var text = ""
        while let scalar = current, scalar != " ", scalar != "\t", scalar != "\n", scalar != "\r",
              scalar != ",", scalar != "]", scalar != "#" {
            text.unicodeScalars.append(scalar)
            advance()
        }
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        let digits = text.replacingUnderscores()
        if let integer = Int(digits), text.first != "_", text.last != "_" { return .integer(integer) }
        if ["inf", "+inf", "-inf", "nan", "+nan", "-nan"].contains(text) { return .float(text) }
        if !digits.isEmpty, Double(digits) != nil, digits.allSatisfy({ "+-.eE0123456789".contains($0) }) {
            return .float(text)
        }
        if text.count >= 8, text.contains("-"), text.first?.isNumber == true {
            throw fail("dates and times are not used in fleet files — quote the value if it is text")
        }
        throw fail("\(text.isEmpty ? "nothing" : "\"\(text)\"") is not a TOML value — quote text (\"…\"), or write a number, true or false")
    }

    private mutating func literalString() throws(TOMLSyntaxError) -> String {
        if peek(1) == "'", peek(2) == "'" {
            throw fail("multi-line strings (''') are not used in fleet files")
        }
        advance()
        var text = ""
        while let scalar = current, scalar != "'" {
            if scalar == "\n" { throw fail("the string is not closed — add ' before the end of the line") }
            text.unicodeScalars.append(scalar)
            advance()
        }
        guard current == "'" else { throw fail("the string is not closed — add '") }
        advance()
        return text
    }

    private mutating func basicString() throws(TOMLSyntaxError) -> String {
        if peek(1) == "\"", peek(2) == "\"" {
            throw fail("multi-line strings (\"\"\") are not used in fleet files")
        }
        advance()
        var text = ""
        while let scalar = current, scalar != "\"" {
            if scalar == "\n" { throw fail("the string is not closed — add \" before the end of the line") }
            if scalar == "\\" {
                advance()
                text.unicodeScalars.append(try escape())
                continue
            }
            text.unicodeScalars.append(scalar)
            advance()
        }
        guard current == "\"" else { throw fail("the string is not closed — add \"") }
        advance()
        return text
    }

    private mutating func escape() throws(TOMLSyntaxError) -> Unicode.Scalar {
        guard let scalar = current else { throw fail("the string ends in the middle of an escape") }
        advance()
        switch scalar {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = scalar == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<count {
                guard let digit = current, digit.properties.isASCIIHexDigit else {
                    throw fail("\\\(scalar) needs \(count) hexadecimal digits")
                }
                hex.unicodeScalars.append(digit)
                advance()
            }
            guard let code = UInt32(hex, radix: 16), let result = Unicode.Scalar(code) else {
                throw fail("\\\(scalar)\(hex) is not a Unicode scalar")
            }
            return result
        default:
            throw fail("\\\(scalar) is not a TOML escape — write \\\\ for a backslash")
        }
    }
}

private extension String {
    func replacingUnderscores() -> String {
        String(unicodeScalars.filter { $0 != "_" }.map(Character.init))
    }
}
