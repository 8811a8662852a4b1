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

    @Test("a 70-character boundary over 4 MiB of near-boundaries parses the file exactly")
    func adversarialContent() throws {
        let boundary = String(repeating: "b", count: 70)
        // Content made of the boundary's prefix again and again: the worst case of a naive search.
        var content = Data()
        let almost = Data(("--" + String(repeating: "b", count: 69) + "x").utf8)
        while content.count < 4 << 20 { content.append(almost) }
        let body = Self.form(boundary: boundary, parts: [("note", nil, Data("hello".utf8)), ("file", "big.txt", content)])
        let file = try #require(try MultipartFile.parse(body, boundary: boundary))
        #expect(file.filename == "big.txt")
        #expect(file.content == content, "content of \(file.content.count) bytes, expected \(content.count)")
    }

    @Test("boundaries over 70 characters and forms of more than 64 parts are refused")
    func limits() throws {
        let long = String(repeating: "q", count: 4000)
        #expect(throws: MultipartFile.Problem.boundaryTooLong) {
            try MultipartFile.parse(Self.form(boundary: long, parts: [("file", "a.txt", Data("x".utf8))]), boundary: long)
        }
        let parts = (0..<65).map { (name: "f\($0)", filename: Optional("f\($0).txt"), content: Data("x".utf8)) }
        #expect(throws: MultipartFile.Problem.tooManyParts) {
            try MultipartFile.parse(Self.form(boundary: "b", parts: parts), boundary: "b")
        }
        // A part whose headers never end within 8 KiB is not a file.
        var noHeaderEnd = Data("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\nX-Pad: ".utf8)
        noHeaderEnd.append(Data(repeating: 65, count: 9000))
        noHeaderEnd.append(Data("\r\n\r\nbody\r\n--b--\r\n".utf8))
        #expect(try MultipartFile.parse(noHeaderEnd, boundary: "b") == nil)
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
