import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import MaiAgent

/// Hostile upload forms: the parser stays linear and bounded, and says what is wrong.
@Suite("Multipart upload forms")
struct MultipartTests {
    static func form(boundary: String, parts: [(name: String, filename: String?, content: Data)]) -> Data {
        var body = Data()
        for part in parts {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"".utf8))
            if let filename = part.filename { body.append(Data("; filename=\"\(filename)\"".utf8)) }
            body.append(Data("\r\n\r\n".utf8))
            body.append(part.content)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return body
    }

    struct Part: Equatable, CustomStringConvertible {
        var name: String?
        var filename: String?
        var content: Data
        var description: String { "\(name ?? "-")/\(filename ?? "-"): \(content.count) bytes" }
    }

    /// Feeds `body` to a reader in pieces of the given sizes (cycled) and collects every part.
    static func read(_ body: Data, boundary: String, pieces: [Int] = [1 << 20]) throws -> [Part] {
        var reader = try MultipartReader(boundary: boundary)
        var parts: [Part] = []
        var open = false
        var offset = 0
        var piece = 0
        while offset < body.count {
            let size = max(1, pieces[piece % pieces.count])
            piece += 1
            let chunk = body[offset..<min(body.count, offset + size)]
            offset += chunk.count
            try Data(chunk).withUnsafeBytes { bytes in
                try reader.feed(bytes) { event in
                    switch event {
                    case let .part(name, filename):
                        parts.append(Part(name: name, filename: filename, content: Data()))
                        open = true
                    case let .content(bytes):
                        #expect(open, "content outside a part")
                        parts[parts.count - 1].content.append(contentsOf: bytes)
                    case .partEnd:
                        open = false
                    }
                }
            }
            #expect(reader.heldBytes <= MultipartReader.flushBytes + MultipartReader.maxHeaderBytes + 256,
                    "the reader holds \(reader.heldBytes) bytes after \(offset) of \(body.count)")
        }
        try reader.finish()
        return parts
    }

    @Test("a 70-character boundary over 4 MiB of near-delimiters reads the file exactly, however the body is cut")
    func adversarialContent() throws {
        let boundary = String(repeating: "b", count: 70)
        // Content made of the delimiter's prefix again and again: the worst case of a naive search.
        var content = Data()
        let almost = Data(("\r\n--" + String(repeating: "b", count: 69) + "x").utf8)
        while content.count < 4 << 20 { content.append(almost) }
        let body = Self.form(boundary: boundary, parts: [("note", nil, Data("hello".utf8)), ("file", "big.txt", content)])
        for pieces in [[1 << 20], [7919], [1, 2, 3, 70, 71, 72, 65536]] {
            let parts = try Self.read(body, boundary: boundary, pieces: pieces)
            #expect(parts.count == 2, "\(pieces): \(parts)")
            #expect(parts.first == Part(name: "note", filename: nil, content: Data("hello".utf8)), "\(pieces): \(parts)")
            #expect(parts.last?.filename == "big.txt" && parts.last?.name == "file", "\(pieces): \(parts)")
            #expect(parts.last?.content == content, "\(pieces): content of \(parts.last?.content.count ?? -1) bytes, expected \(content.count)")
        }
    }

    @Test("random forms cut at random places read back exactly what was sent (seeded)")
    func randomForms() throws {
        let seed = UInt64(20_261_203)
        var random = SeededGenerator(seed: seed)
        let alphabet = Array("abcXYZ019'()+_,-./:=?")
        for round in 0..<200 {
            let boundary = String((0..<Int.random(in: 1...70, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            let fragments = [Data("\r\n--\(boundary)".utf8), Data("--\(boundary)".utf8), Data("\r\n".utf8), Data("\r".utf8)]
            var expected: [Part] = []
            for index in 0..<Int.random(in: 1...5, using: &random) {
                var content = Data()
                for _ in 0..<Int.random(in: 0...20, using: &random) {
                    if Bool.random(using: &random) {
                        // A delimiter cut short by one byte is content, not a delimiter.
                        let fragment = fragments.randomElement(using: &random)!
                        content.append(fragment.prefix(Int.random(in: 0..<fragment.count, using: &random)))
                    } else {
                        content.append(contentsOf: (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
                    }
                }
                // Content may not contain the delimiter itself (RFC 2046: the sender picks a boundary that does not occur).
                guard content.range(of: Data("\r\n--\(boundary)".utf8)) == nil, !content.starts(with: Data("--\(boundary)".utf8)) else { continue }
                expected.append(Part(name: "p\(index)", filename: Bool.random(using: &random) ? "f\(index).bin" : nil, content: content))
            }
            let body = Self.form(boundary: boundary, parts: expected.map { ($0.name!, $0.filename, $0.content) })
            let pieces = (0..<5).map { _ in Int.random(in: 1...400, using: &random) }
            let parts = try Self.read(body, boundary: boundary, pieces: pieces)
            #expect(parts == expected, "seed \(seed) round \(round), boundary \(boundary.debugDescription), pieces \(pieces): read \(parts), sent \(expected)")
        }
    }

    @Test("boundaries over 70 characters, forms of more than 64 parts, endless headers and cut-off forms are refused")
    func limits() throws {
        let long = String(repeating: "q", count: 4000)
        #expect(throws: MultipartReader.Problem.boundaryTooLong) { try MultipartReader(boundary: long) }
        let parts = (0..<65).map { (name: "f\($0)", filename: Optional("f\($0).txt"), content: Data("x".utf8)) }
        #expect(throws: MultipartReader.Problem.tooManyParts) { try Self.read(Self.form(boundary: "b", parts: parts), boundary: "b") }
        var noHeaderEnd = Data("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\nX-Pad: ".utf8)
        noHeaderEnd.append(Data(repeating: 65, count: 9000))
        noHeaderEnd.append(Data("\r\n\r\nbody\r\n--b--\r\n".utf8))
        #expect(throws: MultipartReader.Problem.headersTooLong) { try Self.read(noHeaderEnd, boundary: "b") }
        let whole = Self.form(boundary: "b", parts: [("file", "a.txt", Data("abc".utf8))])
        #expect(throws: MultipartReader.Problem.unterminated) { try Self.read(whole.prefix(whole.count - 6), boundary: "b") }
        // A preamble and an epilogue are ignored.
        var framed = Data("preamble\r\n".utf8)
        framed.append(whole)
        framed.append(Data("epilogue --b\r\n".utf8))
        #expect(try Self.read(framed, boundary: "b") == [Part(name: "file", filename: "a.txt", content: Data("abc".utf8))])
    }

    @Test("the upload API answers a 4,000-character boundary with 400 and what to do, at once")
    func uploadRefusesLongBoundary() async throws {
        let agent = try await TestAgent()
        try await agent.test { client in
            let tokens = try await client.seedAccounts()
            let boundary = String(repeating: "z", count: 4000)
            let body = Self.form(boundary: boundary, parts: [("file", "a.txt", Data(repeating: 66, count: 1 << 20))])
            let response = try await client.execute(uri: "/api/v1/files/", method: .post,
                                                    headers: [.contentType: "multipart/form-data; boundary=\(boundary)", .authorization: "Bearer \(tokens.user)"],
                                                    body: ByteBuffer(data: body))
            #expect(response.status == .badRequest, "\(response.status): \(response.detail)")
            #expect(response.detail.contains("70 characters"), "\(response.detail)")
            // The server still answers.
            #expect(try await client.get("/health").status == .ok)
        }
    }
}
