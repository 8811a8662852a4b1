import Foundation
import NIOPosix

/// Decides a file's kind from its bytes and extracts its text with the matching extractor.
///
/// Extraction is seconds of CPU without a suspension point for a large file, so it runs on NIO's
/// blocking thread pool (`offloaded`), never on Swift's cooperative pool: that pool has one thread
/// per core (two here), and a file read there once stalled every request, `/health` included, for
/// 2.9 s while four 20 MiB files were read.
struct DocumentReader: Sendable {
    var pdf = PDFExtractor()

    func read(path: String, name: String) async throws(ExtractionError) -> ExtractedDocument {
        let kind = try DocumentKind.detect(path: path, name: name)
        switch kind {
        case .pdf:
            let document = try await pdf.extract(path: path)
            try ExtractionBudget().charge(document.sections.reduce(0) { $0 + $1.text.utf8.count })
            return document
        case .docx, .pptx, .xlsx:
            return try await Self.offloaded { () throws(ExtractionError) in
                let document = try OfficeExtractor.extract(path: path, kind: kind, budget: ExtractionBudget())
                guard document.sections.contains(where: { $0.text.contains { $0.isLetter || $0.isNumber } }) else {
                    throw .noText("The document has no text.")
                }
                return document
            }
        case .text, .markdown, .html, .csv, .json:
            return try await Self.offloaded { () throws(ExtractionError) in
                guard let data = FileManager.default.contents(atPath: path) else { throw .failed("The uploaded file could not be read back.") }
                return try TextExtractor.extract(data, kind: kind, budget: ExtractionBudget())
            }
        }
    }
}

extension DocumentReader {
    /// Runs `body` on NIO's blocking thread pool and hands back its result or its `ExtractionError`.
    static func offloaded<Value: Sendable>(_ body: @escaping @Sendable () throws(ExtractionError) -> Value) async throws(ExtractionError) -> Value {
        let result: Result<Value, ExtractionError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { () -> Result<Value, ExtractionError> in
                do throws(ExtractionError) { return .success(try body()) } catch { return .failure(error) }
            }
        } catch {
            throw .failed("The file could not be processed right now (the server is stopping). Upload it again.")
        }
        return try result.get()
    }
}
