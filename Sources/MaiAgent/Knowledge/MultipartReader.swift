import Foundation

/// A `multipart/form-data` body (Open WebUI's upload form) read as it arrives, in constant memory:
/// the caller feeds the body's chunks and gets each part's headers and content as events, so a
/// file part can go straight to disk.
///
/// Linear in the body whatever it holds: the delimiter (`CRLF--boundary`) is found with
/// Knuth–Morris–Pratt across chunk edges, the boundary is at most 70 characters (RFC 2046), a
/// part's headers at most 8 KiB, a form at most 64 parts. A hostile form cannot make it quadratic
/// (a 4,000-character boundary over a 4 MiB body used to take seconds on the event loop) nor make
/// it hold more than one chunk.
struct MultipartReader {
    /// RFC 2046: a boundary is 1 to 70 characters.
    static let maxBoundary = 70
    static let maxHeaderBytes = 8 << 10
    static let maxParts = 64
    /// Content is handed over in pieces of at most this many bytes.
    static let flushBytes = 64 << 10

    enum Problem: Error, Equatable {
        case boundaryTooLong
        case tooManyParts
        case headersTooLong
        /// The body ended before the closing delimiter (`--boundary--`).
        case unterminated
    }

    enum Event {
        /// A part begins; `name` and `filename` come from its Content-Disposition.
        case part(name: String?, filename: String?)
        /// The next bytes of the current part's content.
        case content(UnsafeRawBufferPointer)
        /// The current part's content is complete.
        case partEnd
    }

    private enum State: Equatable {
        case preamble
        /// Just after a delimiter: `--` ends the form, otherwise the line ends (after optional padding).
        case afterDelimiter
        case headers
        case content
        case epilogue
    }

    private let delimiter: [UInt8]
    private let failure: [Int]
    private var matched: Int
    private var state = State.preamble
    private var line: [UInt8] = []
    private var pending: [UInt8] = []
    private(set) var parts = 0

    /// Bytes the reader keeps between chunks (content not yet handed over, a header block being
    /// read): bounded by `flushBytes` + `maxHeaderBytes`, whatever the file's size.
    var heldBytes: Int { pending.count + line.count }

    /// The boundary named by a `multipart/form-data; boundary=…` content type.
    static func boundary(contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// - Throws: `Problem.boundaryTooLong` for a boundary over 70 characters.
    init(boundary: String) throws {
        guard boundary.utf8.count <= Self.maxBoundary else { throw Problem.boundaryTooLong }
        delimiter = Array("\r\n--\(boundary)".utf8)
        var failure = [Int](repeating: 0, count: delimiter.count)
        var k = 0
        for i in 1..<delimiter.count {
            while k > 0 && delimiter[i] != delimiter[k] { k = failure[k - 1] }
            if delimiter[i] == delimiter[k] { k += 1 }
            failure[i] = k
        }
        self.failure = failure
        // The body starts with `--boundary`: as if a CRLF came first.
        matched = 2
        pending.reserveCapacity(Self.flushBytes)
    }

    /// Reads the next chunk of the body, calling `handle` for what it completes.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        var index = 0
        while index < count {
            switch state {
            case .epilogue:
                return
            case .afterDelimiter:
                line.append(base[index])
                index += 1
                if line == [45, 45] {  // "--": the closing delimiter
                    state = .epilogue
                } else if line.count >= 2, line.suffix(2) == [13, 10] {
                    line.removeAll(keepingCapacity: true)
                    parts += 1
                    guard parts <= Self.maxParts else { throw Problem.tooManyParts }
                    state = .headers
                } else if line.count > 256 {  // transport padding is a few spaces
                    throw Problem.headersTooLong
                }
            case .headers:
                line.append(base[index])
                index += 1
                if line == [13, 10] || (line.count >= 4 && line.suffix(4) == [13, 10, 13, 10]) {
                    let disposition = Self.disposition(in: line)
                    line.removeAll(keepingCapacity: true)
                    matched = 0
                    state = .content
                    try handle(.part(name: disposition.flatMap { Self.parameter("name", in: $0) },
                                     filename: disposition.flatMap { Self.parameter("filename", in: $0) }))
                } else if line.count > Self.maxHeaderBytes {
                    throw Problem.headersTooLong
                }
            case .preamble, .content:
                let keep = state == .content
                // Nothing held back: everything before the next CR is content.
                if matched == 0 {
                    let start = UnsafeRawPointer(base)
                    let end = memchr(start + index, 13, count - index).map { start.distance(to: UnsafeRawPointer($0)) } ?? count
                    if keep && end > index { try emit(UnsafeRawBufferPointer(start: base + index, count: end - index), handle) }
                    index = end
                    if index == count { break }
                }
                let byte = base[index]
                index += 1
                while matched > 0 && byte != delimiter[matched] {
                    // The bytes held back as a possible delimiter were content after all.
                    let fallback = failure[matched - 1]
                    if keep { try delimiter.withUnsafeBytes { try emit(UnsafeRawBufferPointer(rebasing: $0[0..<(matched - fallback)]), handle) } }
                    matched = fallback
                }
                if byte == delimiter[matched] {
                    matched += 1
                } else if keep {
                    try withUnsafeBytes(of: byte) { try emit($0, handle) }
                }
                if matched == delimiter.count {
                    matched = 0
                    if keep {
                        try flush(handle)
                        try handle(.partEnd)
                    }
                    state = .afterDelimiter
                }
            }
        }
        if state == .content { try flush(handle) }
    }

    /// The body is complete.
    /// - Throws: `Problem.unterminated` when the closing delimiter never came.
    func finish() throws {
        guard state == .epilogue else { throw Problem.unterminated }
    }

    private mutating func emit(_ bytes: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        if pending.isEmpty && bytes.count >= Self.flushBytes {
            try handle(.content(bytes))
            return
        }
        pending.append(contentsOf: bytes)
        if pending.count >= Self.flushBytes { try flush(handle) }
    }

    private mutating func flush(_ handle: (Event) throws -> Void) throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try handle(.content($0)) }
        pending.removeAll(keepingCapacity: true)
    }

    private static func disposition(in headers: [UInt8]) -> String? {
        String(decoding: headers, as: UTF8.self).split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("content-disposition") }.map(String.init)
    }

    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}
