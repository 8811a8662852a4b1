import Foundation
import ZIPFoundation

/// Small documents of every supported format, made by the tests (Office files assembled with
/// ZIPFoundation, PDFs written by hand), in a temporary directory.
struct DocumentFixtures {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mai-docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    @discardableResult
    func write(_ name: String, text: String) throws -> String { try write(name, Data(text.utf8)) }

    /// A ZIP with the given parts.
    @discardableResult
    func zip(_ name: String, _ parts: [(String, String)]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in parts {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return url.path
    }

    static let contentTypes = #"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#

    @discardableResult
    func docx(_ name: String, paragraphs: [String]) throws -> String {
        let body = paragraphs.map { "<w:p><w:r><w:t xml:space=\"preserve\">\(Self.escape($0))</w:t></w:r></w:p>" }.joined()
        return try zip(name, [
            ("[Content_Types].xml", Self.contentTypes),
            ("word/document.xml", #"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"# + body + "</w:body></w:document>"),
        ])
    }

    @discardableResult
    func pptx(_ name: String, slides: [[String]]) throws -> String {
        var parts = [("[Content_Types].xml", Self.contentTypes),
                     ("ppt/presentation.xml", #"<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>"#)]
        for (index, paragraphs) in slides.enumerated() {
            let text = paragraphs.map { "<a:p><a:r><a:t>\(Self.escape($0))</a:t></a:r></a:p>" }.joined()
            parts.append(("ppt/slides/slide\(index + 1).xml", #"<?xml version="1.0"?><p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>"# + text + "</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"))
        }
        return try zip(name, parts)
    }

    /// A workbook with one sheet named `sheet`: strings go to the shared-string table, numbers inline.
    @discardableResult
    func xlsx(_ name: String, sheet: String, rows: [[String]]) throws -> String {
        var shared: [String] = []
        var sheetRows = ""
        for (r, row) in rows.enumerated() {
            var cells = ""
            for value in row {
                if Double(value) != nil {
                    cells += "<c><v>\(value)</v></c>"
                } else {
                    shared.append(value)
                    cells += "<c t=\"s\"><v>\(shared.count - 1)</v></c>"
                }
            }
            sheetRows += "<row r=\"\(r + 1)\">\(cells)</row>"
        }
        let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        return try zip(name, [
            ("[Content_Types].xml", Self.contentTypes),
            ("xl/workbook.xml", "<?xml version=\"1.0\"?><workbook xmlns=\"\(ns)\"><sheets><sheet name=\"\(Self.escape(sheet))\" sheetId=\"1\"/></sheets></workbook>"),
            ("xl/sharedStrings.xml", "<?xml version=\"1.0\"?><sst xmlns=\"\(ns)\">" + shared.map { "<si><t>\(Self.escape($0))</t></si>" }.joined() + "</sst>"),
            ("xl/worksheets/sheet1.xml", "<?xml version=\"1.0\"?><worksheet xmlns=\"\(ns)\"><sheetData>\(sheetRows)</sheetData></worksheet>"),
        ])
    }

    /// A valid PDF with one page per string (Helvetica, ASCII text).
    static func pdf(pages: [String]) -> Data {
        var objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
        let kids = pages.indices.map { "\(3 + 2 * $0) 0 R" }.joined(separator: " ")
        objects.append("<< /Type /Pages /Kids [\(kids)] /Count \(pages.count) >>")
        let font = 3 + 2 * pages.count
        for (index, text) in pages.enumerated() {
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents \(4 + 2 * index) 0 R /Resources << /Font << /F1 \(font) 0 R >> >> >>")
            let stream = "BT /F1 12 Tf 72 720 Td (\(text)) Tj ET"
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
        }
        objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
        var out = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(out.utf8.count)
            out += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = out.utf8.count
        out += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        out += offsets.map { String(repeating: "0", count: 10 - String($0).count) + "\($0) 00000 n \n" }.joined()
        out += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(out.utf8)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
