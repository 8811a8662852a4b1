import Foundation

/// The `file` part of a `multipart/form-data` body (Open WebUI's upload form).
struct MultipartFile: Sendable {
    var filename: String
    var content: Data

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
    static func parse(_ body: Data, boundary: String) -> MultipartFile? {
        let delimiter = Data("--\(boundary)".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        var searchStart = body.startIndex
        var parts: [Range<Data.Index>] = []
        var previous: Data.Index?
        while let range = body.range(of: delimiter, in: searchStart..<body.endIndex) {
            if let previous { parts.append(previous..<range.lowerBound) }
            previous = range.upperBound
            searchStart = range.upperBound
        }
        var fallback: MultipartFile?
        for part in parts {
            guard let split = body.range(of: headerEnd, in: part) else { continue }
            let headers = String(decoding: body[part.lowerBound..<split.lowerBound], as: UTF8.self)
            var contentEnd = part.upperBound
            // Each part's content ends with CRLF before the next delimiter.
            if contentEnd - split.upperBound >= 2, body[contentEnd - 2] == 13, body[contentEnd - 1] == 10 { contentEnd -= 2 }
            guard let disposition = headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition") }) else { continue }
            let name = parameter("name", in: String(disposition))
            guard let filename = parameter("filename", in: String(disposition)) else { continue }
            let file = MultipartFile(filename: filename, content: Data(body[split.upperBound..<contentEnd]))
            if name == "file" { return file }
            fallback = fallback ?? file
        }
        return fallback
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
