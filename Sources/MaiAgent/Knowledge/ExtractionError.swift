/// Why a file cannot be turned into searchable text; the message says what to do.
enum ExtractionError: Error, Sendable, Equatable {
    case empty
    case unsupported(String)
    case encrypted(String)
    case corrupt(String)
    case tooLarge(String)
    case noText(String)
    case failed(String)

    /// The short reason code shown beside the file (`unsupported`, `encrypted`, `corrupt`, …).
    var code: String {
        switch self {
        case .empty: "empty"
        case .unsupported: "unsupported"
        case .encrypted: "encrypted"
        case .corrupt: "corrupt"
        case .tooLarge: "too_big"
        case .noText: "no_text"
        case .failed: "failed"
        }
    }

    /// The sentence shown to the employee.
    var message: String {
        switch self {
        case .empty: "The file is empty. Upload a file with content."
        case .unsupported(let text), .encrypted(let text), .corrupt(let text), .tooLarge(let text), .noText(let text), .failed(let text): text
        }
    }
}

/// The text of a document, in pieces that each know where they are (page, slide, sheet).
struct ExtractedDocument: Sendable {
    struct Section: Sendable, Equatable {
        /// `page`, `slide`, `sheet`, or `nil` for documents without such divisions.
        var unit: String?
        /// 1-based number of the page/slide/sheet.
        var number: Int?
        /// The sheet's name, when it has one.
        var label: String?
        var text: String
    }

    var kind: DocumentKind
    var sections: [Section]
    /// Pages (PDF), slides, sheets, or 1 for flowing text: for throughput figures.
    var pageCount: Int {
        sections.isEmpty ? 0 : (sections.first?.unit == nil ? 1 : sections.count)
    }

    var text: String { sections.map(\.text).joined(separator: "\n\n") }
}

/// How much text one file may become, whatever its format: a small file must not expand into
/// millions of passages (a 1.5 KB spreadsheet once became 50,150; a 205 KB JSON made the agent
/// allocate 400 MB and die). Extractors take from it as they go and stop at once when it is spent.
final class ExtractionBudget {
    /// Characters of extracted text per file: about 2,500 pages.
    static let maximumCharacters = 5_000_000
    /// Passages per file, whatever the chunk size.
    static let maximumPassages = 20_000

    let limit: Int
    private(set) var used = 0

    init(limit: Int = ExtractionBudget.maximumCharacters) {
        self.limit = limit
    }

    /// Counts `count` more characters; false once the budget is spent.
    func take(_ count: Int) -> Bool {
        used += count
        return used <= limit
    }

    var exceeded: ExtractionError {
        .tooLarge("The file holds more than \(limit / 1_000_000) million characters of text once unpacked. Split it into smaller files and upload them.")
    }

    /// Throws `exceeded` once `count` more characters overrun the budget.
    func charge(_ count: Int) throws(ExtractionError) {
        guard take(count) else { throw exceeded }
    }
}
