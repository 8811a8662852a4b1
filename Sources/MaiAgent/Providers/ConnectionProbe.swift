import Hummingbird

/// Proves a connection works before it is saved: OpenRouter's `GET /key` (the key is valid),
/// otherwise the model list. Used by Settings → Connections and by the fleet key swap.
struct ConnectionProbe: Sendable {
    let providers: ProviderFactory

    /// Refuses an address the outbound policy does not allow (400 saying what the operator can
    /// set), before anything is sent to it.
    func checkAddress(_ url: String) async throws {
        do {
            try await providers.http.outbound.check(url)
        } catch let refusal as OutboundRefusal {
            throw APIError(.badRequest, "base_url: \(refusal.message)")
        }
    }

    /// - Throws: `APIError` 400 with the provider's (sanitised) reason when it refuses.
    func check(_ connection: Connection) async throws {
        do {
            if connection.kind == .openrouter {
                struct KeyInfo: Decodable { struct Data: Decodable { var label: String? }; var data: Data }
                _ = try await providers.http.json(
                    KeyInfo.self, .GET, "\(connection.baseURL)/key",
                    headers: [("Authorization", "Bearer \(connection.apiKey?.value ?? "")")]
                )
            } else {
                _ = try await providers.provider(for: connection).models()
            }
        } catch let error as ProviderError where error.kind == "blocked_address" {
            throw APIError(.badRequest, "base_url: \(error.message)")
        } catch let error as ProviderError {
            throw APIError(.badRequest, "\(connection.kind.displayName) refused the connection (\(error.status): \(error.message)). Check the key and address.")
        }
    }
}
