import Foundation

/// Decides a file's kind from its bytes and extracts its text with the matching extractor.
struct DocumentReader: Sendable {
    var pdf = PDFExtractor()

    func read(path: String, name: String) async throws(ExtractionError) -> ExtractedDocument {
        let kind = try DocumentKind.detect(path: path, name: name)
        let budget = ExtractionBudget()
        switch kind {
        case .pdf:
            let document = try await pdf.extract(path: path)
            try budget.charge(document.sections.reduce(0) { $0 + $1.text.utf8.count })
            return document
        case .docx, .pptx, .xlsx:
            let document = try OfficeExtractor.extract(path: path, kind: kind, budget: budget)
            guard document.sections.contains(where: { $0.text.contains { $0.isLetter || $0.isNumber } }) else {
                throw .noText("The document has no text.")
            }
            return document
        case .text, .markdown, .html, .csv, .json:
            guard let data = FileManager.default.contents(atPath: path) else { throw .failed("The uploaded file could not be read back.") }
            return try TextExtractor.extract(data, kind: kind, budget: budget)
        }
    }
}
