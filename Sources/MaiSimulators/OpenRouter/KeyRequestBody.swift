import Foundation
import Hummingbird

/// The body of `POST /keys` and `PATCH /keys/{hash}`. `limit` and `limit_reset` distinguish "absent"
/// from `null` (which clears them).
struct KeyRequestBody: Decodable {
    var name: String?
    var disabled: Bool?
    var limit: Double??
    var limitReset: String??
    var includeByokInLimit: Bool?
    var expiresAt: String??

    enum CodingKeys: String, CodingKey {
        case name, disabled, limit
        case limitReset = "limit_reset"
        case includeByokInLimit = "include_byok_in_limit"
        case expiresAt = "expires_at"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled)
        includeByokInLimit = try container.decodeIfPresent(Bool.self, forKey: .includeByokInLimit)
        if container.contains(.limit) { limit = .some(try container.decodeIfPresent(Double.self, forKey: .limit)) }
        if container.contains(.limitReset) { limitReset = .some(try container.decodeIfPresent(String.self, forKey: .limitReset)) }
        if container.contains(.expiresAt) { expiresAt = .some(try container.decodeIfPresent(String.self, forKey: .expiresAt)) }
    }

    static func decode(from request: inout Request) async throws -> KeyRequestBody {
        let buffer = try await request.collectBody(upTo: 1024 * 1024)
        do {
            return try JSONDecoder().decode(KeyRequestBody.self, from: Data(buffer: buffer))
        } catch {
            throw OpenRouterError(400, "Invalid request parameters: send a JSON object with name, limit, limit_reset, … (\(error.localizedDescription))")
        }
    }

    func validate() throws {
        if case .some(.some(let reset)) = limitReset, !["daily", "weekly", "monthly"].contains(reset) {
            throw OpenRouterError(400, "Invalid request parameters: limit_reset must be daily, weekly, monthly or null.")
        }
        if case .some(.some(let value)) = limit, value < 0 {
            throw OpenRouterError(400, "Invalid request parameters: limit must be 0 or more.")
        }
    }

    func apply(to key: inout SimulatedKey) {
        if let limit { key.limit = limit.flatMap { USDNanos(dollars: $0) } }
        if let limitReset { key.limitReset = limitReset }
        if let includeByokInLimit { key.includeByokInLimit = includeByokInLimit }
        if let expiresAt { key.expiresAt = expiresAt }
    }
}
