import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import GRDB
import Testing

@testable import MaiAgent

extension TestClientProtocol {
    /// Uploads `data` as Open WebUI does (multipart field `file`).
    func upload(_ name: String, _ data: Data, token: String) async throws -> TestResponse {
        let boundary = "----mai\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body.append(data)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return try await execute(uri: "/api/v1/files/", method: .post,
                                 headers: [.contentType: "multipart/form-data; boundary=\(boundary)", .authorization: "Bearer \(token)"],
                                 body: ByteBuffer(data: body))
    }

    func upload(_ name: String, text: String, token: String) async throws -> TestResponse {
        try await upload(name, Data(text.utf8), token: token)
    }

    func put(_ path: String, _ data: Data, token: String) async throws -> TestResponse {
        try await execute(uri: path, method: .put, headers: [.authorization: "Bearer \(token)", .contentType: "application/octet-stream"],
                          body: ByteBuffer(data: data))
    }

    func delete(_ path: String, token: String) async throws -> TestResponse {
        try await execute(uri: path, method: .delete, headers: [.authorization: "Bearer \(token)"])
    }

    /// The passages a query returns (files and collections as `[(type, id)]`).
    func query(_ text: String, _ items: [(String, String)], token: String, mode: String? = nil, k: Int? = nil) async throws -> [[String: Any]] {
        var body: [String: Any] = ["query": text, "files": items.map { ["type": $0.0, "id": $0.1] }]
        if let mode { body["mode"] = mode }
        if let k { body["k"] = k }
        let response = try await post("/api/v1/knowledge/query", body, token: token)
        #expect(response.status == .ok, "query: \(response.detail)")
        return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [[String: Any]] ?? []
    }
}

extension TestResponse {
    var jsonArray: [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [[String: Any]] ?? []
    }
}

extension TestAgent {
    /// Waits until the background worker has read every queued file.
    func indexed() async {
        await services.knowledge.worker.idle()
    }

    func count(_ sql: String) async throws -> Int {
        try await services.database.pool.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }
}
