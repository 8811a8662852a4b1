import Foundation

/// Text out of PDFs with poppler's `pdftotext`, run as a child process (argv, never a shell
/// string) under `prlimit` (address space and CPU time) and a wall-clock timeout. Pages are the
/// form-feed separated parts of its output.
struct PDFExtractor: Sendable {
    var pdftotext = "/usr/bin/pdftotext"
    var prlimit = "/usr/bin/prlimit"
    /// Address-space limit of the child.
    var memoryBytes = 768 << 20
    /// Wall-clock limit; CPU time is limited to the same number of seconds.
    var timeoutSeconds = 60
    /// Largest text file the child may write (`prlimit --fsize`): the text budget in UTF-8 bytes.
    var outputBytes = ExtractionBudget.maximumCharacters * 4

    /// The command that is run, as argv (tested by equality).
    func arguments(input: String, output: String) -> [String] {
        [prlimit, "--as=\(memoryBytes)", "--cpu=\(timeoutSeconds)", "--fsize=\(outputBytes)", "--", pdftotext, "-enc", "UTF-8", "-eol", "unix", input, output]
    }

    func extract(path: String) async throws(ExtractionError) -> ExtractedDocument {
        guard FileManager.default.isExecutableFile(atPath: pdftotext) else {
            throw .failed("PDF support needs poppler-utils (pdftotext) on the server. Ask your administrator to install it.")
        }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("mai-pdf-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let argv = arguments(input: path, output: output)
        let result: (status: Int32, stderr: String, timedOut: Bool)
        do {
            result = try await Self.run(argv, timeoutSeconds: timeoutSeconds)
        } catch {
            throw .failed("The PDF reader could not be started (\(error)). Ask your administrator to check poppler-utils.")
        }
        if result.timedOut {
            throw .tooLarge("Reading the PDF took longer than \(timeoutSeconds) seconds. Split it into smaller files and upload again.")
        }
        let written = ((try? FileManager.default.attributesOfItem(atPath: output))?[.size] as? NSNumber)?.intValue ?? 0
        if written >= outputBytes {
            throw ExtractionBudget().exceeded
        }
        guard result.status == 0 else {
            let message = result.stderr.lowercased()
            if message.contains("password") || message.contains("encrypt") {
                throw .encrypted("The PDF is password-protected. Remove the password (print to a new PDF) and upload again.")
            }
            if result.status > 128 || message.contains("memory") || message.contains("bad_alloc") {
                throw .tooLarge("The PDF needs more memory to read than the server allows. Split it into smaller files and upload again.")
            }
            throw .corrupt("The PDF is damaged and cannot be read (\(result.stderr.split(separator: "\n").first.map(String.init)?.prefix(120) ?? "pdftotext failed")). Save it again as PDF and upload.")
        }
        guard let data = FileManager.default.contents(atPath: output) else {
            throw .failed("The PDF reader produced no output.")
        }
        var pages = String(decoding: data, as: UTF8.self).components(separatedBy: "\u{0C}")
        if pages.count > 1, pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { pages.removeLast() }
        let sections = pages.enumerated().map { index, text in
            ExtractedDocument.Section(unit: "page", number: index + 1, label: nil, text: text)
        }
        guard sections.contains(where: { $0.text.contains { $0.isLetter || $0.isNumber } }) else {
            throw .noText("The PDF has no text layer (it is probably scanned images). Run it through OCR and upload the result.")
        }
        return ExtractedDocument(kind: .pdf, sections: sections)
    }

    /// Runs `argv` (argv[0] an absolute path), killing it after `timeoutSeconds`.
    static func run(_ argv: [String], timeoutSeconds: Int) async throws -> (status: Int32, stderr: String, timedOut: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished.continuation.yield($0.terminationStatus); finished.continuation.finish() }
        try process.run()
        let pid = process.processIdentifier
        let killer = Task {
            try await Task.sleep(for: .seconds(timeoutSeconds))
            kill(pid, SIGKILL)
        }
        // Read stderr while the child runs so a chatty child cannot fill the pipe and block.
        let errorHandle = errorPipe.fileHandleForReading
        let stderrTask = Task.detached { errorHandle.readDataToEndOfFile() }
        var status: Int32 = -1
        for await code in finished.stream { status = code }
        killer.cancel()
        let signaled = process.terminationReason == .uncaughtSignal
        let stderr = String(decoding: await stderrTask.value.prefix(4096), as: UTF8.self)
        // SIGKILL: our timeout or the CPU limit. Any other signal (abort on a failed allocation
        // under the address-space limit) is reported as "needs more memory" with a status > 128.
        if signaled { return (status == SIGKILL ? status : 128 + status, stderr, status == SIGKILL || status == SIGXCPU) }
        return (status, stderr, false)
    }
}
