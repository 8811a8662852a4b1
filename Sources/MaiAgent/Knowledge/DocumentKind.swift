import Foundation
import ZIPFoundation

/// What a file is, decided from its bytes (magic numbers and structure), never from its name.
enum DocumentKind: String, Sendable, Codable, CaseIterable {
    case text, markdown, html, csv, json, docx, pptx, xlsx, pdf

    /// Reads the start of the file (and, for ZIP containers, the entry names) to decide its kind.
    /// The name is only a tie-breaker between plain text and Markdown, which share all their bytes.
    /// - Throws: `ExtractionError` saying why the file cannot be used.
    static func detect(path: String, name: String) throws(ExtractionError) -> DocumentKind {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .corrupt("The uploaded file could not be read back.") }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8192)) ?? Data()
        guard !head.isEmpty else { throw .empty }
        let bytes = [UInt8](head)
        func starts(_ magic: [UInt8]) -> Bool { bytes.count >= magic.count && Array(bytes.prefix(magic.count)) == magic }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return try officeKind(path: path) }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            throw .encrypted("This is a password-protected Office file or an old binary .doc/.xls/.ppt. Remove the password, or save it as .docx/.xlsx/.pptx, and upload again.")
        }
        for (magic, what) in binarySignatures where starts(magic) {
            throw .unsupported("This is \(what), which holds no text to search. Upload text, Markdown, HTML, CSV, JSON, PDF, Word, PowerPoint or Excel files.")
        }
        guard !bytes.contains(0) else {
            throw .unsupported("This is a binary file of a kind that cannot be read. Upload text, Markdown, HTML, CSV, JSON, PDF, Word, PowerPoint or Excel files.")
        }
        return textKind(head: head, name: name)
    }

    private static let binarySignatures: [([UInt8], String)] = [
        ([0x89, 0x50, 0x4E, 0x47], "a PNG image"), ([0xFF, 0xD8, 0xFF], "a JPEG image"), (Array("GIF8".utf8), "a GIF image"),
        ([0x1F, 0x8B], "a gzip archive"), ([0x7F, 0x45, 0x4C, 0x46], "a program (ELF)"), (Array("Rar!".utf8), "a RAR archive"),
        ([0x37, 0x7A, 0xBC, 0xAF], "a 7-Zip archive"), (Array("RIFF".utf8), "an audio or video file"), (Array("ID3".utf8), "an MP3 file"),
    ]

    /// A ZIP is an Office Open XML document when it has the part that defines one.
    private static func officeKind(path: String) throws(ExtractionError) -> DocumentKind {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw .corrupt("The file starts like a Word, PowerPoint or Excel document but its ZIP structure is damaged. Open and save it again, then upload.")
        }
        if archive["word/document.xml"] != nil { return .docx }
        if archive["ppt/presentation.xml"] != nil { return .pptx }
        if archive["xl/workbook.xml"] != nil { return .xlsx }
        throw .unsupported("This is a ZIP archive, not a Word, PowerPoint or Excel document. Unpack it and upload the documents themselves.")
    }

    /// Plain-text formats, told apart by their content.
    static func textKind(head: Data, name: String) -> DocumentKind {
        let text = String(decoding: head, as: UTF8.self)
        let trimmed = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        let lower = trimmed.prefix(512).lowercased()
        if lower.hasPrefix("<!doctype html") || lower.hasPrefix("<html") || lower.hasPrefix("<head") || lower.hasPrefix("<body")
            || (lower.hasPrefix("<") && (lower.contains("<p>") || lower.contains("<div") || lower.contains("<h1"))) {
            return .html
        }
        if let first = trimmed.first, first == "{" || first == "[" { return .json }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(20).dropLast(head.count >= 8192 ? 1 : 0)
        if lines.count >= 2, lines.first?.contains(where: { $0 == "," || $0 == "\t" }) == true {
            // Same number of fields (quotes respected) on every line: a table.
            let rows = CSVRows.parse(lines.joined(separator: "\n"))
            if let first = rows.first?.count, first >= 2, rows.count == lines.count, rows.allSatisfy({ $0.count == first }) { return .csv }
        }
        let lowerName = name.lowercased()
        if lowerName.hasSuffix(".md") || lowerName.hasSuffix(".markdown") { return .markdown }
        if lines.contains(where: { $0.hasPrefix("# ") || $0.hasPrefix("## ") || $0.hasPrefix("```") }) { return .markdown }
        return .text
    }
}
