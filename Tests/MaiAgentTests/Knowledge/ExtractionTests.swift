import Foundation
import GRDB
import Testing

@testable import MaiAgent

/// Every supported format is read from a small file the test makes, and every kind of bad file
/// is refused with the reason a person can act on.
@Suite struct ExtractionTests {
    let files: DocumentFixtures
    let reader = DocumentReader()

    init() throws { files = try DocumentFixtures() }

    func read(_ path: String, name: String? = nil) async throws(ExtractionError) -> ExtractedDocument {
        try await reader.read(path: path, name: name ?? (path as NSString).lastPathComponent)
    }

    /// Writes the file, then returns its refusal (nil when it was read).
    func refused(_ name: String, _ data: Data) async throws -> ExtractionError? {
        await refusal(try files.write(name, data))
    }

    func refused(_ name: String, text: String) async throws -> ExtractionError? {
        try await refused(name, Data(text.utf8))
    }

    /// The refusal for a file, or nil when it was read.
    func refusal(_ path: String, name: String? = nil) async -> ExtractionError? {
        do {
            _ = try await read(path, name: name)
            return nil
        } catch {
            return error
        }
    }

    @Test func plainTextAndMarkdown() async throws {
        let text = try await read(try files.write("notes.txt", text: "Refunds are possible within 30 days.\n\nAsk the front desk."))
        #expect(text.kind == .text)
        #expect(text.text.contains("Refunds are possible within 30 days."))
        let markdown = try await read(try files.write("guide.md", text: "# Guide\n\nThe wifi password is on the fridge."))
        #expect(markdown.kind == .markdown)
        #expect(markdown.text.contains("wifi password"))
    }

    @Test func htmlKeepsOnlyVisibleText() async throws {
        let html = """
            <!doctype html><html><head><title>FAQ</title><style>p { color: red }</style>
            <script>alert("never shown")</script></head><body><h1>Payroll</h1><p>Salary is paid on the <b>25th</b> &amp; payslips are in PeopleHub.</p>
            <!-- a comment --></body></html>
            """
        let document = try await read(try files.write("page.bin", text: html))
        #expect(document.kind == .html)
        #expect(document.text.contains("Salary is paid on the 25th & payslips are in PeopleHub."))
        #expect(!document.text.contains("alert"))
        #expect(!document.text.contains("color: red"))
        #expect(!document.text.contains("comment"))
    }

    @Test func csvRowsReadWithTheirHeaders() async throws {
        let document = try await read(try files.write("holidays.csv", text: "date,holiday,office\n2026-10-31,Reformation Day,open\n2026-12-24,\"Christmas Eve, day off\",closed\n"))
        #expect(document.kind == .csv)
        #expect(document.text.contains("date: 2026-10-31; holiday: Reformation Day; office: open"))
        #expect(document.text.contains("holiday: Christmas Eve, day off"))
    }

    @Test func jsonKeysAndValues() async throws {
        let document = try await read(try files.write("org.json", text: #"{"teams": [{"name": "Platform", "lead": "Piotr"}]}"#))
        #expect(document.kind == .json)
        #expect(document.text.contains("teams[0].lead: Piotr"))
    }

    @Test func wordDocument() async throws {
        let path = try files.docx("policy.docx", paragraphs: ["Travel Policy", "Economy class for flights under six hours."])
        let document = try await read(path)
        #expect(document.kind == .docx)
        #expect(document.text == "Travel Policy\nEconomy class for flights under six hours.")
    }

    @Test func powerPointKeepsSlideNumbers() async throws {
        let path = try files.pptx("deck.pptx", slides: [["Q1 results"], ["Revenue was 4.2 million", "Up 18%"]])
        let document = try await read(path)
        #expect(document.kind == .pptx)
        #expect(document.sections.map(\.number) == [1, 2])
        #expect(document.sections.map(\.unit) == ["slide", "slide"])
        #expect(document.sections[1].text == "Revenue was 4.2 million\nUp 18%")
    }

    @Test func excelWithSharedStringsAndSheetName() async throws {
        let path = try files.xlsx("budget.xlsx", sheet: "Budget 2026", rows: [["Item", "Amount"], ["Laptops", "12000"], ["Training", "1500"]])
        let document = try await read(path)
        #expect(document.kind == .xlsx)
        #expect(document.sections.first?.label == "Budget 2026")
        #expect(document.sections.first?.unit == "sheet")
        #expect(document.text.contains("Laptops\t12000"))
        #expect(document.text.contains("Training\t1500"))
    }

    @Test func pdfPagesAreNumbered() async throws {
        let path = try files.write("manual.pdf", DocumentFixtures.pdf(pages: ["Installation guide", "The refund window is 30 days"]))
        let document = try await read(path)
        #expect(document.kind == .pdf)
        #expect(document.sections.count == 2)
        #expect(document.sections[1].number == 2)
        #expect(document.sections[1].text.contains("The refund window is 30 days"))
        #expect(document.pageCount == 2)
    }

    @Test func kindComesFromTheBytesNotTheName() async throws {
        let pdfNamedText = try files.write("really-a-pdf.txt", DocumentFixtures.pdf(pages: ["Hidden PDF"]))
        #expect(try await read(pdfNamedText).kind == .pdf)
        let docxNamedPDF = try files.docx("really-a-docx.pdf", paragraphs: ["Word inside"])
        #expect(try await read(docxNamedPDF).kind == .docx)
        let textNamedDocx = try files.write("notes.docx", text: "Just text, really.")
        #expect(try await read(textNamedDocx).kind == .text)
    }

    @Test func pdftotextRunsAsArgvUnderLimits() {
        let argv = PDFExtractor().arguments(input: "/data/uploads/x; rm -rf /", output: "/tmp/out.txt")
        #expect(argv == ["/usr/bin/prlimit", "--as=805306368", "--cpu=60", "--fsize=20000000", "--", "/usr/bin/pdftotext", "-enc", "UTF-8", "-eol", "unix",
                         "/data/uploads/x; rm -rf /", "/tmp/out.txt"])
    }

    // MARK: Bad files

    @Test func emptyAndBinaryFilesAreRefused() async throws {
        #expect(try await refused("empty.txt", Data()) == .empty)
        let png = try await refused("photo.txt", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]))
        #expect(png?.code == "unsupported")
        #expect(png?.message.contains("PNG image") == true)
        let binary = try await refused("blob.txt", Data([0x01, 0x02, 0x00, 0x03]))
        #expect(binary?.code == "unsupported")
    }

    @Test func badTextIsCorrupt() async throws {
        let latin1 = try await refused("latin1.txt", Data([0x47, 0x72, 0xFC, 0xDF, 0x65, 0x20, 0xE4]))
        #expect(latin1?.code == "corrupt")
        #expect(latin1?.message.contains("UTF-8") == true)
        let json = try await refused("broken.json", text: #"{"teams": [1, 2"#)
        #expect(json?.code == "corrupt")
        #expect(json?.message.contains("JSON") == true)
        let html = try await refused("blank.html", text: "<html><body><script>x()</script></body></html>")
        #expect(html?.code == "no_text")
        let csv = try await refused("empty.csv", text: ",,\n,,\n")
        #expect(csv?.code == "no_text")
    }

    @Test func damagedOfficeFilesAreCorrupt() async throws {
        let docx = try Data(contentsOf: URL(fileURLWithPath: try files.docx("ok.docx", paragraphs: ["Some text that makes the file longer than a header"])))
        #expect(try await refused("cut.docx", docx.prefix(docx.count / 2))?.code == "corrupt")
        let badXML = try files.zip("badxml.docx", [("word/document.xml", "<w:document><w:body><w:p><w:t>unclosed")])
        #expect(await refusal(badXML)?.code == "corrupt")
        let pptx = try files.zip("bad.pptx", [("ppt/presentation.xml", "<p/>"), ("ppt/slides/slide1.xml", "<p:sld><a:t>oops</p:sld>")])
        #expect(await refusal(pptx)?.code == "corrupt")
        let xlsx = try files.zip("bad.xlsx", [("xl/workbook.xml", "<workbook/>"), ("xl/worksheets/sheet1.xml", "<worksheet><row><c><v>1</c></row>")])
        #expect(await refusal(xlsx)?.code == "corrupt")
        let plainZip = try files.zip("photos.zip", [("a.txt", "hello")])
        #expect(await refusal(plainZip)?.code == "unsupported")
    }

    @Test func passwordProtectedOfficeFilesAreEncrypted() async throws {
        // Encrypted OOXML is stored in an OLE compound file, which starts with D0 CF 11 E0.
        var bytes = Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
        bytes.append(Data(repeating: 0, count: 504))
        let refusal = try await refused("secret.docx", bytes)
        #expect(refusal?.code == "encrypted")
        #expect(refusal?.message.contains("password") == true)
    }

    @Test func damagedPDFIsCorrupt() async throws {
        let pdf = DocumentFixtures.pdf(pages: ["Some text"])
        let refusal = try await refused("cut.pdf", pdf.prefix(200))
        #expect(refusal?.code == "corrupt")
    }

    @Test func passwordProtectedPDFIsEncrypted() async throws {
        let plain = try files.write("plain.pdf", DocumentFixtures.pdf(pages: ["Top secret"]))
        let encrypted = files.directory.appendingPathComponent("locked.pdf").path
        let (status, _, _) = try await PDFExtractor.run(["/usr/bin/qpdf", "--encrypt", "userpw", "ownerpw", "256", "--", plain, encrypted], timeoutSeconds: 30)
        #expect(status == 0, "qpdf (scripts/install-deps.sh test) must be installed")
        let refusal = await self.refusal(encrypted)
        #expect(refusal?.code == "encrypted")
    }

    @Test func pdfWithoutTextLayerSaysSo() async throws {
        let refusal = try await refused("scan.pdf", DocumentFixtures.pdf(pages: [""]))
        #expect(refusal?.code == "no_text")
        #expect(refusal?.message.contains("OCR") == true)
    }

    // MARK: Amplification: a small file must not become millions of passages.

    /// A spreadsheet whose cells all point at one long shared string: 64 KB of XML, 10 million
    /// characters once read. Refused as too large, without building it first.
    @Test func aSpreadsheetThatRepeatsOneSharedStringIsRefused() async throws {
        let long = String(repeating: "lorem ipsum ", count: 1000)
        let cells = String(repeating: #"<c t="s"><v>0</v></c>"#, count: 1000)
        let path = try files.zip("bomb.xlsx", [
            ("[Content_Types].xml", "<Types/>"),
            ("xl/workbook.xml", #"<workbook><sheets><sheet name="S"/></sheets></workbook>"#),
            ("xl/sharedStrings.xml", "<sst><si><t>\(long)</t></si></sst>"),
            ("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row>\(cells)</row></sheetData></worksheet>"),
        ])
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(size < 64 * 1024, "the file is small: \(size) bytes")
        let error = await refusal(path)
        #expect(error?.code == "too_big" && error?.message.contains("million characters") == true, "\(String(describing: error))")
    }

    /// A CSV whose rows repeat 40 long headers (7 KB, so it is still read as a table): 50 KB in,
    /// 7 million characters out.
    @Test func aCSVWhoseHeadersMultiplyIsRefused() async throws {
        let header = (0..<40).map { "column \($0) " + String(repeating: "h", count: 170) }.joined(separator: ",")
        let rows = String(repeating: String(repeating: ",", count: 39) + "1\n", count: 1000)
        let error = try await refused("wide.csv", text: header + "\n" + rows)
        #expect(error?.code == "too_big", "\(String(describing: error))")
    }

    /// Deep JSON: a path per leaf once repeated every level's key for every leaf (a 205 KB file
    /// made the agent allocate 400 MB). Paths stop at the depth limit; what is deeper is one compact
    /// line, so the text stays about the size of the file.
    @Test func deepJSONIsReadWithBoundedPaths() async throws {
        let key = "a_rather_long_key_name_here"
        let leaves = (0..<300).map { "\"leaf\($0)\": \($0)" }.joined(separator: ",")
        let json = String(repeating: "{\"\(key)\":", count: 200) + "{\(leaves), \"bottom\": \"found\"}" + String(repeating: "}", count: 200)
        let document = try await read(try files.write("deep.json", text: json))
        let text = document.sections.map(\.text).joined()
        #expect(text.contains("found"), "the deepest value is still searchable")
        #expect(text.utf8.count < 4 * json.utf8.count, "the text (\(text.utf8.count) bytes) stays near the file's size (\(json.utf8.count))")
    }

    /// Ordinary files are far inside the budget.
    @Test func theBudgetLeavesOrdinaryFilesAlone() async throws {
        let csv = "name,city\n" + (0..<2000).map { "person \($0),Berlin" }.joined(separator: "\n")
        let document = try await read(try files.write("people.csv", text: csv))
        #expect(document.sections.first?.text.contains("name: person 1999; city: Berlin") == true)
    }
}

/// A file that stopped the agent while it was read is not read again at every start.
@Suite struct CrashLoopTests {
    @Test func aFileThatKeepsStoppingTheAgentIsMarkedFailed() async throws {
        let agent = try await TestAgent()
        let user = try await agent.test { client in try await client.signUp("admin@example.com").id }
        try await agent.services.database.pool.write { db in
            for (id, attempts) in [("once", 1), ("twice", 2)] {
                try db.execute(sql: """
                    INSERT INTO files (id, user_id, filename, size, received, status, created_at, updated_at, attempts)
                    VALUES (?, ?, ?, 10, 10, 'processing', 1, 1, ?)
                    """, arguments: [id, user, "\(id).json", attempts])
            }
        }
        try await agent.services.knowledge.store.requeueInterrupted()
        let rows = try await agent.services.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, status, error_code, error FROM files ORDER BY id").map { row -> [String?] in
                [row["id"], row["status"], row["error_code"], row["error"]]
            }
        }
        #expect(rows.first { $0[0] == "once" }?[1] == "queued", "interrupted once: read again (\(rows))")
        let twice = try #require(rows.first { $0[0] == "twice" })
        #expect(twice[1] == "failed" && twice[2] == "crashed" && twice[3]?.contains("stopped the server") == true, "\(twice)")
    }
}
