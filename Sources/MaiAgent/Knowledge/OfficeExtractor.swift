import Foundation
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Text out of Word, PowerPoint and Excel files (Office Open XML: a ZIP of XML parts).
enum OfficeExtractor {
    /// Largest XML part read, uncompressed: a guard against ZIP bombs. The part is held in memory and
    /// parsed with about four times its size at the peak (a 100 MB part raised the agent's peak by
    /// 402 MiB), so 32 MiB bounds one file's reading near 130 MiB; the 5-million-character text budget
    /// is reached by most real parts well before this size.
    static let maximumPartBytes = 32 << 20

    static func extract(path: String, kind: DocumentKind, budget: ExtractionBudget = ExtractionBudget()) throws(ExtractionError) -> ExtractedDocument {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw .corrupt("The document's ZIP structure is damaged. Open and save it again, then upload.")
        }
        if archive["EncryptedPackage"] != nil {
            throw .encrypted("The document is password-protected. Remove the password and upload again.")
        }
        switch kind {
        case .docx:
            let xml = try part(archive, "word/document.xml")
            let text = try WordprocessingText.paragraphs(xml).joined(separator: "\n")
            try budget.charge(text.utf8.count)
            return ExtractedDocument(kind: kind, sections: [.init(unit: nil, number: nil, label: nil, text: text)])
        case .pptx:
            let slides = archive.compactMap { entry -> (Int, String)? in
                let path = entry.path
                guard path.hasPrefix("ppt/slides/slide"), path.hasSuffix(".xml"),
                      let number = Int(path.dropFirst("ppt/slides/slide".count).dropLast(4)) else { return nil }
                return (number, path)
            }.sorted { $0.0 < $1.0 }
            var sections: [ExtractedDocument.Section] = []
            for (number, path) in slides {
                let text = try DrawingText.paragraphs(try part(archive, path)).joined(separator: "\n")
                try budget.charge(text.utf8.count)
                sections.append(.init(unit: "slide", number: number, label: nil, text: text))
            }
            return ExtractedDocument(kind: kind, sections: sections)
        case .xlsx:
            var shared: [String] = []
            if archive["xl/sharedStrings.xml"] != nil {
                shared = try SpreadsheetText.sharedStrings(try part(archive, "xl/sharedStrings.xml"))
            }
            let names = (try? SpreadsheetText.sheetNames(try part(archive, "xl/workbook.xml"))) ?? []
            let sheets = archive.compactMap { entry -> (Int, String)? in
                let path = entry.path
                guard path.hasPrefix("xl/worksheets/sheet"), path.hasSuffix(".xml"),
                      let number = Int(path.dropFirst("xl/worksheets/sheet".count).dropLast(4)) else { return nil }
                return (number, path)
            }.sorted { $0.0 < $1.0 }
            var sections: [ExtractedDocument.Section] = []
            for (number, path) in sheets {
                // Cells point into the shared strings: a tiny file can repeat a long one endlessly.
                let rows = try SpreadsheetText.rows(try part(archive, path), shared: shared, budget: budget)
                let label = number - 1 < names.count ? names[number - 1] : nil
                sections.append(.init(unit: "sheet", number: number, label: label, text: rows.joined(separator: "\n")))
            }
            return ExtractedDocument(kind: kind, sections: sections)
        default:
            throw .unsupported("Not an Office document.")
        }
    }

    static func part(_ archive: Archive, _ path: String) throws(ExtractionError) -> Data {
        guard let entry = archive[path] else {
            throw .corrupt("The document is missing its part \(path). Open and save it again, then upload.")
        }
        guard entry.uncompressedSize <= UInt64(maximumPartBytes) else {
            throw .tooLarge("The document's part \(path) unpacks to more than \(maximumPartBytes >> 20) MiB. Split the document.")
        }
        var data = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                data.append(chunk)
                if data.count > maximumPartBytes { throw ExtractionError.tooLarge("The document unpacks to more than \(maximumPartBytes >> 20) MiB. Split it.") }
            }
        } catch let error as ExtractionError {
            throw error
        } catch {
            throw .corrupt("The document's part \(path) is damaged (\(error)). Open and save it again, then upload.")
        }
        return data
    }
}

/// Runs `XMLParser` over one part; corrupt XML becomes `ExtractionError.corrupt`.
class XMLTextCollector: NSObject {
    func run(_ data: Data) throws(ExtractionError) {
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        // Each subclass conforms itself, so its own methods are the protocol witnesses on Linux too.
        parser.delegate = self as? any XMLParserDelegate
        // Foundation on Linux may accept a document that simply stops: count open elements too.
        let parsed = parser.parse()
        if overBudget, let budget { throw budget.exceeded }
        guard parsed, depth == 0, elements > 0 else {
            throw .corrupt("The document's XML is damaged (\(parser.parserError.map { "\($0.localizedDescription)" } ?? "it ends in the middle")). Open and save it again, then upload.")
        }
    }

    /// Open elements and elements seen, kept by the subclasses' delegate methods.
    var depth = 0
    var elements = 0
    /// The file's text budget, charged by collectors whose output can outgrow their input.
    var budget: ExtractionBudget?
    var overBudget = false

    /// Charges `text` to the budget; once spent, the parse stops (`run` then throws).
    func produced(_ text: String, _ parser: XMLParser) {
        guard let budget, !overBudget else { return }
        if !budget.take(text.utf8.count + 1) {
            overBudget = true
            parser.abortParsing()
        }
    }

    func opened() {
        depth += 1
        elements += 1
    }

    func closed() {
        depth -= 1
    }

    /// The element name without its namespace prefix.
    static func local(_ name: String) -> Substring {
        name.split(separator: ":").last ?? Substring(name)
    }
}

/// Paragraphs of `word/document.xml`: the text runs `w:t` of each `w:p`, tabs and breaks kept.
final class WordprocessingText: XMLTextCollector, XMLParserDelegate {
    private var paragraphs: [String] = []
    private var current = ""
    private var inText = false

    static func paragraphs(_ data: Data) throws(ExtractionError) -> [String] {
        let collector = WordprocessingText()
        try collector.run(data)
        return collector.paragraphs
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        opened()
        switch name {
        case "w:t": inText = true
        case "w:tab": current += "\t"
        case "w:br", "w:cr": current += "\n"
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        closed()
        switch name {
        case "w:t": inText = false
        case "w:p":
            paragraphs.append(current)
            current = ""
        case "w:tc": current += "\t"
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }
}

/// Paragraphs of DrawingML text (`a:p` / `a:t`): PowerPoint slides.
final class DrawingText: XMLTextCollector, XMLParserDelegate {
    private var paragraphs: [String] = []
    private var current = ""
    private var inText = false

    static func paragraphs(_ data: Data) throws(ExtractionError) -> [String] {
        let collector = DrawingText()
        try collector.run(data)
        return collector.paragraphs.filter { !$0.isEmpty }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        opened()
        if name == "a:t" { inText = true } else if name == "a:br" { current += "\n" }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        closed()
        if name == "a:t" { inText = false } else if name == "a:p" {
            paragraphs.append(current)
            current = ""
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }
}

/// Excel: shared strings, sheet names, and each sheet's rows as tab-separated lines.
final class SpreadsheetText: XMLTextCollector, XMLParserDelegate {
    enum Mode { case shared, sheet, workbook }
    private let mode: Mode
    private let shared: [String]
    private var output: [String] = []
    private var current = ""
    private var row: [String] = []
    private var cellType: String?
    private var inValue = false

    init(mode: Mode, shared: [String] = []) {
        self.mode = mode
        self.shared = shared
    }

    static func sharedStrings(_ data: Data) throws(ExtractionError) -> [String] {
        let collector = SpreadsheetText(mode: .shared)
        try collector.run(data)
        return collector.output
    }

    static func sheetNames(_ data: Data) throws(ExtractionError) -> [String] {
        let collector = SpreadsheetText(mode: .workbook)
        try collector.run(data)
        return collector.output
    }

    static func rows(_ data: Data, shared: [String], budget: ExtractionBudget = ExtractionBudget()) throws(ExtractionError) -> [String] {
        let collector = SpreadsheetText(mode: .sheet, shared: shared)
        collector.budget = budget
        try collector.run(data)
        return collector.output
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        opened()
        switch (mode, Self.local(name)) {
        case (.workbook, "sheet"): output.append(attributes["name"] ?? "")
        case (.shared, "t"): inValue = true
        case (.sheet, "c"):
            cellType = attributes["t"]
            current = ""
        case (.sheet, "v"), (.sheet, "t"): inValue = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        closed()
        switch (mode, Self.local(name)) {
        case (.shared, "t"), (.sheet, "v"), (.sheet, "t"): inValue = false
        case (.shared, "si"):
            output.append(current)
            current = ""
        case (.sheet, "c"):
            if cellType == "s", let index = Int(current.trimmingCharacters(in: .whitespaces)), shared.indices.contains(index) {
                row.append(shared[index])
            } else {
                row.append(current)
            }
            produced(row[row.count - 1], parser)
            current = ""
        case (.sheet, "row"):
            let line = row.filter { !$0.isEmpty }.joined(separator: "\t")
            if !line.isEmpty { output.append(line) }
            row = []
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { current += string }
    }
}
