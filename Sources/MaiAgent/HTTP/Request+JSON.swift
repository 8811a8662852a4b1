import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// Decodes the JSON body as `T`, answering bad input with a clear `{"detail"}`:
    /// 413 when larger than `limit`, 415 for another content type, 400 for malformed JSON,
    /// 422 for a missing field or a value of the wrong type.
    mutating func decodeJSON<T: Decodable>(as type: T.Type, limit: Int) async throws -> T {
        // Exactly application/json (parameters such as charset aside): a form or text/plain body —
        // what another site's page can send without asking — is never read as JSON.
        let mediaType = headers[.contentType]?.split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard mediaType == "application/json" else {
            throw APIError(.unsupportedMediaType, "Send the request body as JSON with 'Content-Type: application/json'.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "The request body is larger than the \(limit / 1024) KiB this endpoint accepts.")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "The request body is larger than the \(limit / 1024) KiB this endpoint accepts.")
        }
        guard buffer.readableBytes > 0 else {
            throw APIError(.badRequest, "The request body is empty; send a JSON object.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw Self.apiError(for: error)
        }
    }

    static func apiError(for error: DecodingError) -> APIError {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = (path + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return APIError(.unprocessableContent, "Missing field '\(field(context.codingPath, key))'.")
        case .typeMismatch(let type, let context):
            let name = field(context.codingPath)
            if name.isEmpty { return APIError(.unprocessableContent, "The request body must be a JSON object.") }
            return APIError(.unprocessableContent, "Field '\(name)' must be \(Self.describe(type)).")
        case .valueNotFound(let type, let context):
            return APIError(.unprocessableContent, "Field '\(field(context.codingPath))' must be \(Self.describe(type)), not null.")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return APIError(.badRequest, "The request body is not valid JSON.")
            }
            return APIError(.unprocessableContent, "Field '\(field(context.codingPath))' has an invalid value: \(context.debugDescription)")
        @unknown default:
            return APIError(.badRequest, "The request body could not be read.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type: return "a whole number"
        case is Double.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Array") { return "an array" }
            return "a valid value"
        }
    }
}

extension Request {
    /// The bearer token of the `Authorization` header, if any.
    var bearerToken: String? {
        guard let header = headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
