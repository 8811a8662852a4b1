import Foundation

/// Text out of the plain-text formats: text, Markdown, HTML (visible text only), CSV and JSON.
enum TextExtractor {
    static func extract(_ data: Data, kind: DocumentKind, budget: ExtractionBudget = ExtractionBudget()) throws(ExtractionError) -> ExtractedDocument {
        guard var text = decode(data) else {
            throw .corrupt("The file is not valid UTF-8 text. Save it as UTF-8 and upload again.")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        switch kind {
        case .html: text = HTMLText.visibleText(text)
        case .json: text = try json(data, budget: budget)
        case .csv: text = try csv(text, budget: budget)
        default: break
        }
        if kind != .json && kind != .csv { try budget.charge(text.utf8.count) }
        let cleaned = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard cleaned.contains(where: { $0.isLetter || $0.isNumber }) else {
            throw .noText("The file has no readable text.")
        }
        return ExtractedDocument(kind: kind, sections: [.init(unit: nil, number: nil, label: nil, text: cleaned)])
    }

    /// UTF-8 (with or without BOM), or UTF-16 with a BOM.
    static func decode(_ data: Data) -> String? {
        if data.starts(with: [0xFF, 0xFE]) || data.starts(with: [0xFE, 0xFF]) { return String(data: data, encoding: .utf16) }
        return String(data: data, encoding: .utf8)
    }

    /// Deepest nesting read; deeper values are written at this depth's path.
    static let maximumJSONDepth = 32
    /// Longest `path` written before a line's value.
    static let maximumPathLength = 200

    /// JSON as `path: value` lines, so keys and values are both searchable. Paths are cut at
    /// `maximumPathLength` and nesting at `maximumJSONDepth`; the lines stop when `budget` is spent.
    static func json(_ data: Data, budget: ExtractionBudget = ExtractionBudget()) throws(ExtractionError) -> String {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "invalid JSON"
            throw .corrupt("The file looks like JSON but does not parse (\(reason.prefix(160))). Fix the JSON and upload again.")
        }
        var lines: [String] = []
        func emit(_ line: String) throws(ExtractionError) {
            try budget.charge(line.utf8.count + 1)
            lines.append(line)
        }
        func walk(_ value: Any, _ path: String, _ depth: Int) throws(ExtractionError) {
            let path = path.utf8.count > maximumPathLength ? String(path.prefix(maximumPathLength)) + "…" : path
            switch value {
            case let dictionary as [String: Any] where depth < maximumJSONDepth:
                for key in dictionary.keys.sorted() { try walk(dictionary[key]!, path.isEmpty ? key : "\(path).\(key)", depth + 1) }
            case let array as [Any] where depth < maximumJSONDepth:
                for (index, item) in array.enumerated() { try walk(item, "\(path)[\(index)]", depth + 1) }
            case is [String: Any], is [Any]:
                // Too deep to spell out: what is left becomes one compact line, still searchable.
                let rest = (try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) } ?? ""
                try emit("\(path): \(rest)")
            case is NSNull: try emit("\(path): null")
            default: try emit(path.isEmpty ? "\(value)" : "\(path): \(value)")
            }
        }
        try walk(object, "", 0)
        return lines.joined(separator: "\n")
    }

    /// CSV rows as lines of `header: value` pairs, so a row found by search reads on its own.
    /// Each row repeats the headers, so the text grows with headers × rows: `budget` bounds it.
    static func csv(_ text: String, budget: ExtractionBudget = ExtractionBudget()) throws(ExtractionError) -> String {
        let rows = CSVRows.parse(text)
        guard let header = rows.first, rows.count > 1 else {
            try budget.charge(text.utf8.count)
            return text
        }
        var lines: [String] = []
        for row in rows.dropFirst() {
            let line = zip(header, row).map { "\($0.0): \($0.1)" }.joined(separator: "; ")
            try budget.charge(line.utf8.count + 1)
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

/// A small RFC 4180 reader (quotes, doubled quotes, commas or tabs).
enum CSVRows {
    static func parse(_ text: String) -> [[String]] {
        let separator: Character = (text.prefix(2000).filter { $0 == "\t" }.count > text.prefix(2000).filter { $0 == "," }.count) ? "\t" : ","
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let character = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == separator {
                row.append(field); field = ""
            } else if character == "\n" || character == "\r\n" || character == "\r" {
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
            } else {
                field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// The visible text of an HTML page: tags dropped, `script`/`style` skipped, block elements
/// turned into line breaks, entities decoded. Nothing of the page is ever executed.
enum HTMLText {
    static let blocks: Set<String> = ["p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
                                      "article", "header", "footer", "blockquote", "pre", "hr", "title", "dt", "dd"]

    static func visibleText(_ html: String) -> String {
        var output = ""
        var index = html.startIndex
        var skipping: String? = nil
        while index < html.endIndex {
            let character = html[index]
            if character == "<" {
                guard let close = html[index...].firstIndex(of: ">") else { break }
                let tag = html[html.index(after: index)..<close]
                let isEnd = tag.hasPrefix("/")
                let name = tag.drop { $0 == "/" || $0 == "!" }.prefix { $0.isLetter || $0.isNumber }.lowercased()
                if tag.hasPrefix("!--"), let end = html[index...].range(of: "-->") {
                    index = end.upperBound
                    continue
                }
                if let skip = skipping {
                    if isEnd && name == skip { skipping = nil }
                } else if !isEnd && (name == "script" || name == "style" || name == "noscript" || name == "template") && !tag.hasSuffix("/") {
                    skipping = name
                } else if blocks.contains(name) {
                    output += name == "td" || name == "th" ? " " : "\n"
                } else if name == "td" || name == "th" {
                    output += " "
                }
                index = html.index(after: close)
                continue
            }
            if skipping == nil { output.append(character) }
            index = html.index(after: index)
        }
        return collapse(decodeEntities(output))
    }

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "ndash": "–", "mdash": "—",
                     "euro": "€", "copy": "©", "hellip": "…", "rsquo": "’", "lsquo": "‘", "ldquo": "“", "rdquo": "”",
                     "auml": "ä", "ouml": "ö", "uuml": "ü", "Auml": "Ä", "Ouml": "Ö", "Uuml": "Ü", "szlig": "ß"]
        var output = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            output += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let name = String(after[..<semi])
                var replacement: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    replacement = UInt32(name.dropFirst(2), radix: 16).flatMap { Unicode.Scalar($0) }.map { String(Character($0)) }
                } else if name.hasPrefix("#") {
                    replacement = UInt32(name.dropFirst()).flatMap { Unicode.Scalar($0) }.map { String(Character($0)) }
                } else {
                    replacement = named[name]
                }
                if let replacement {
                    output += replacement
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            output += "&"
            rest = after
        }
        return output + rest
    }

    /// Spaces collapsed within lines, runs of blank lines reduced to one.
    static func collapse(_ text: String) -> String {
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{00A0}" })
            let joined = words.joined(separator: " ")
            if joined.isEmpty {
                if lines.last?.isEmpty == false { lines.append("") }
            } else {
                lines.append(joined)
            }
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
