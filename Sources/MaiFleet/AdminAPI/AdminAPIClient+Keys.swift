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

extension AdminAPIClient {
    /// `POST /admin/v1/usage/settle`: OpenRouter's activity record for one key settles the
    /// requests the agent sent but OpenRouter never named.
    public func settleUsage(_ settlement: AdminSettlementRequest) async throws -> AdminSettlementResult {
        let body = try AdminAPI.encoder.encode(settlement)
        let response = try await send(HTTPRequest(method: "POST", path: "/admin/v1/usage/settle",
                                                  headers: [HTTPHeader("Content-Type", "application/json")], body: body))
        try check(response)
        do {
            return try AdminAPI.decoder.decode(AdminSettlementResult.self, from: response.body)
        } catch {
            throw AdminAPIError.invalidResponse(host: hostLabel, reason: "\(error)")
        }
    }
}
