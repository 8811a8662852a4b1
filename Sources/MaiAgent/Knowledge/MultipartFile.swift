import Foundation

/// The `file` part of a `multipart/form-data` body (Open WebUI's upload form).
///
/// Linear in the body whatever the boundary: delimiters are found with Knuth–Morris–Pratt (linear), the boundary is at most 70 characters (RFC 2046), a part's headers at most 8 KiB and
/// a form at most 64 parts. A hostile form cannot make the parser quadratic (a 4,000-character
/// boundary over a 4 MiB body used to take seconds on the event loop).
struct MultipartFile: Sendable {
    var filename: String
    var content: Data

    /// RFC 2046: a boundary is 1 to 70 characters.
    static let maxBoundary = 70
    static let maxHeaderBytes = 8 << 10
    static let maxParts = 64

    enum Problem: Error, Equatable {
        case boundaryTooLong
        case tooManyParts
    }

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

    /// Finds the part named `file` (or the first part with a filename).
    /// - Throws: `Problem` for a boundary over 70 characters or more than 64 parts.
    static func parse(_ body: Data, boundary: String) throws -> MultipartFile? {
        guard boundary.utf8.count <= maxBoundary else { throw Problem.boundaryTooLong }
        let delimiter = Array("--\(boundary)".utf8)
        let headerEnd = Array("\r\n\r\n".utf8)
        return try body.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> MultipartFile? in
            guard let base = raw.baseAddress else { return nil }
            let count = raw.count
            var parts: [Range<Int>] = []
            var previous: Int?
            var searchStart = 0
            while let found = find(delimiter, in: base, from: searchStart, to: count) {
                if let previous { parts.append(previous..<found) }
                if parts.count > maxParts { throw Problem.tooManyParts }
                previous = found + delimiter.count
                searchStart = found + delimiter.count
            }
            var fallback: MultipartFile?
            for part in parts {
                // The headers end within the first 8 KiB of the part, or the part is not a file.
                let headerLimit = min(part.upperBound, part.lowerBound + maxHeaderBytes)
                guard let split = find(headerEnd, in: base, from: part.lowerBound, to: headerLimit) else { continue }
                let headers = String(decoding: UnsafeRawBufferPointer(rebasing: raw[part.lowerBound..<split]), as: UTF8.self)
                let contentStart = split + headerEnd.count
                var contentEnd = part.upperBound
                // Each part's content ends with CRLF before the next delimiter.
                if contentEnd - contentStart >= 2, raw[contentEnd - 2] == 13, raw[contentEnd - 1] == 10 { contentEnd -= 2 }
                guard contentEnd >= contentStart,
                      let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition") })
                else { continue }
                let name = parameter("name", in: String(disposition))
                guard let filename = parameter("filename", in: String(disposition)) else { continue }
                let file = MultipartFile(filename: filename, content: Data(UnsafeRawBufferPointer(rebasing: raw[contentStart..<contentEnd])))
                if name == "file" { return file }
                fallback = fallback ?? file
            }
            return fallback
        }
    }

    /// The offset of `needle` in `base[from..<to]`, or nil: Knuth–Morris–Pratt, linear in the
    /// searched bytes whatever they contain.
    private static func find(_ needle: [UInt8], in base: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        let m = needle.count
        guard m > 0, to - from >= m else { return nil }
        var failure = [Int](repeating: 0, count: m)
        var k = 0
        for i in 1..<max(m, 1) {
            while k > 0 && needle[i] != needle[k] { k = failure[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            failure[i] = k
        }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var matched = 0
        var index = from
        while index < to {
            let byte = bytes[index]
            while matched > 0 && byte != needle[matched] { matched = failure[matched - 1] }
            if byte == needle[matched] { matched += 1 }
            if matched == m { return index - m + 1 }
            index += 1
        }
        return nil
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
