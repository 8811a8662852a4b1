import Foundation
import MaiCore

extension AdminAPIClient {
    /// `PUT /admin/v1/branding`: replaces the instance's whole branding; the agent validates again.
    public func pushBranding(_ update: BrandingUpdate) async throws -> BrandingState {
        let body = try AdminAPI.encoder.encode(update)
        let response = try await send(HTTPRequest(method: "PUT", path: "/admin/v1/branding",
                                                  headers: [HTTPHeader("Content-Type", "application/json")], body: body))
        try check(response)
        do {
            return try AdminAPI.decoder.decode(BrandingState.self, from: response.body)
        } catch {
            throw AdminAPIError.invalidResponse(host: hostLabel, reason: "\(error)")
        }
    }

    /// `GET /admin/v1/branding`.
    public func branding() async throws -> BrandingState {
        try await get("/admin/v1/branding")
    }
}
