import Foundation
import HTTPTypes
import Hummingbird

/// Refuses a state-changing request (anything but GET, HEAD, OPTIONS) that a browser sent on behalf
/// of another site — another subdomain of the client's domain included, which SameSite=Lax cookies do
/// not stop (a page there once deactivated a user with the admin's cookie).
///
/// Browsers say where a request comes from: `Sec-Fetch-Site` (same-origin, none = typed or
/// bookmarked, same-site, cross-site) and `Origin`. Only same-origin and none pass, or an `Origin`
/// equal to the agent's own (older browsers) or named in `CORS_ALLOW_ORIGIN`. Programs (SDKs, curl,
/// maictl) send neither header and pass; they authenticate with a key, not a cookie.
struct SameOriginMiddleware: RouterMiddleware {
    typealias Context = AgentRequestContext
    /// `CORS_ALLOW_ORIGIN`: origins the operator lets in.
    let allowedOrigins: [String]

    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if ![.get, .head, .options].contains(request.method),
           let reason = Self.crossSiteReason(headers: request.headers, authority: request.head.authority, allowedOrigins: allowedOrigins) {
            throw APIError(.forbidden, "This request came from another site (\(reason)), so it was refused. Use the app at its own address.")
        }
        return try await next(request, context)
    }

    /// Why the request is cross-site, or nil when it is not (or does not say).
    static func crossSiteReason(headers: HTTPFields, authority: String?, allowedOrigins: [String]) -> String? {
        let origin = headers[.origin]
        if let origin, allowedOrigins.contains("*") || allowedOrigins.contains(origin) { return nil }
        if let site = headers[fetchSite]?.lowercased() {
            return site == "same-origin" || site == "none" ? nil : "Sec-Fetch-Site: \(site)"
        }
        guard let origin else { return nil }
        guard origin != "null", let url = URL(string: origin), let host = url.host?.lowercased(), let authority else {
            return "Origin: \(origin.prefix(100))"
        }
        let port = url.port.map { ":\($0)" } ?? ""
        return authority.lowercased() == host + port ? nil : "Origin: \(origin.prefix(100))"
    }
}
