import Foundation
import MaiCore

extension AdminAPIClient {
    /// `PUT /admin/v1/openrouter-key`: the secret goes only into this request's body.
    public func switchOpenRouterKey(to secret: Secret) async throws -> OpenRouterKeyState {
        let body = try AdminAPI.encoder.encode(OpenRouterKeySwap(key: secret.value))
        let response = try await send(HTTPRequest(method: "PUT", path: "/admin/v1/openrouter-key",
                                                  headers: [HTTPHeader("Content-Type", "application/json")], body: body))
        try check(response)
        do {
            return try AdminAPI.decoder.decode(OpenRouterKeyState.self, from: response.body)
        } catch {
            throw AdminAPIError.invalidResponse(host: hostLabel, reason: "\(error)")
        }
    }

    /// `POST /admin/v1/usage/confirm[?key_hash=]`: one confirmation run now; with `keyHash`, that
    /// key's provisional generations are looked up whatever their backoff.
    public func confirmUsageNow(forcing keyHash: String? = nil) async throws {
        let path = "/admin/v1/usage/confirm" + (keyHash.map { "?key_hash=" + $0.filter(\.isHexDigit) } ?? "")
        let response = try await send(HTTPRequest(method: "POST", path: path))
        try check(response)
    }
}
