import Foundation
import Hummingbird
import MaiCore
import NIOCore

/// Serves the instance's branding to everyone (name, `/branding.css`, logo, favicon) and lets an
/// administrator change it from the settings UI. Everything is read from the database on each
/// request, so a change shows at once. No inline style or script: the colours arrive as a style
/// sheet, which keeps the strict Content-Security-Policy intact.
struct BrandingController {
    let services: AgentServices

    var store: BrandingStore { BrandingStore(pool: services.database.pool) }

    /// The built-in mark, used for the logo and favicon when the brand sets none.
    static let builtInMark: Data = {
        guard let url = Bundle.module.resourceURL?.appendingPathComponent("Static/favicon.svg"),
              let data = try? Data(contentsOf: url) else { return Data() }
        return data
    }()

    /// Upper bound of a JSON update: both images at their limits, base64-encoded, plus colours.
    static let maxUpdateBytes = (BrandValidation.maxLogoBytes + BrandValidation.maxFaviconBytes) * 4 / 3 + 64 * 1024

    func addRoutes(to routes: RouteRegistrar) {
        routes.get("/api/v1/branding", .open, use: publicBranding)
        routes.get("/branding.css", .open, use: styleSheet)
        routes.get("/branding/logo", .open) { request, _ in try await self.image(request, logo: true) }
        routes.get("/branding/favicon", .open) { request, _ in try await self.image(request, logo: false) }
        routes.get("/favicon.ico", .open) { request, _ in try await self.image(request, logo: false) }
        routes.get("/api/v1/admin/branding", .admin, use: adminState)
        routes.on(.put, "/api/v1/admin/branding", .admin, use: adminUpdate)
        routes.delete("/api/v1/admin/branding", .admin, use: adminReset)
        routes.on(.put, "/api/v1/admin/branding/logo", .admin) { request, context in try await self.adminImage(request, context, logo: true) }
        routes.delete("/api/v1/admin/branding/logo", .admin) { request, context in try await self.adminRemoveImage(context, logo: true) }
        routes.on(.put, "/api/v1/admin/branding/favicon", .admin) { request, context in try await self.adminImage(request, context, logo: false) }
        routes.delete("/api/v1/admin/branding/favicon", .admin) { request, context in try await self.adminRemoveImage(context, logo: false) }
    }

    /// `GET /api/v1/branding`: what the signed-out page needs.
    struct PublicBranding: ResponseCodable {
        var name: String
        var version: String
        var has_logo: Bool
        var has_favicon: Bool
        var logo_url: String
        var favicon_url: String
        var stylesheet_url: String
    }

    @Sendable func publicBranding(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let stored = try await store.current()
        let version = stored?.version ?? "default"
        var response = try PublicBranding(
            name: stored?.name ?? services.config.name, version: version, has_logo: stored?.logo != nil,
            has_favicon: stored?.favicon != nil, logo_url: "/branding/logo?v=\(version)", favicon_url: "/favicon.ico?v=\(version)",
            stylesheet_url: "/branding.css?v=\(version)"
        ).response(from: request, context: context)
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    @Sendable func styleSheet(_ request: Request, context: AgentRequestContext) async throws -> Response {
        let stored = try await store.current()
        return Self.cached(request, body: Data(BrandingStore.css(stored).utf8), contentType: "text/css; charset=utf-8",
                           etag: "\"css-\(stored?.version ?? "default")\"")
    }

    func image(_ request: Request, logo: Bool) async throws -> Response {
        let stored = try await store.current()
        // The favicon falls back to the logo, then to the built-in mark.
        let chosen = logo ? stored?.logo : (stored?.favicon ?? stored?.logo)
        guard let chosen else {
            return Self.cached(request, body: Self.builtInMark, contentType: "image/svg+xml", etag: "\"mark-default\"")
        }
        return Self.cached(request, body: chosen.data, contentType: chosen.contentType,
                           etag: "\"\(logo ? "logo" : "icon")-\(stored?.version ?? "")\"")
    }

    /// A body the browser must revalidate on every use (`no-cache` + ETag), so a change of branding
    /// shows on the next page load without waiting for a cache to expire.
    static func cached(_ request: Request, body: Data, contentType: String, etag: String) -> Response {
        var headers: HTTPFields = [.contentType: contentType, .eTag: etag, .cacheControl: "no-cache"]
        if contentType == "image/svg+xml" {
            headers[.contentDisposition] = "inline"
        }
        if request.headers[.ifNoneMatch] == etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    // MARK: - Administrators (settings UI)

    func stateResponse(_ stored: StoredBranding?) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(data: try AdminAPI.encoder.encode(BrandingStore.state(stored, defaultName: services.config.name)))))
    }

    @Sendable func adminState(_ request: Request, context: AgentRequestContext) async throws -> Response {
        try stateResponse(try await store.current())
    }

    /// Name and colours from the settings form; the images stay as they are.
    struct FormUpdate: Decodable {
        var name: String?
        var light: [String: String]?
        var dark: [String: String]?
    }

    @Sendable func adminUpdate(_ request: Request, context: AgentRequestContext) async throws -> Response {
        var request = request
        let form = try await request.decodeJSON(as: FormUpdate.self, limit: 64 * 1024)
        let user = try context.requireIdentity().user.id
        let result = try await store.modify(by: user, now: services.clock.seconds) { update in
            update.name = form.name
            update.light = (form.light ?? [:]).filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }
            update.dark = (form.dark ?? [:]).filter { !$0.value.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        return try answer(result, context: context, what: "settings")
    }

    @Sendable func adminReset(_ request: Request, context: AgentRequestContext) async throws -> Response {
        try await store.reset()
        context.logger.notice("branding reset", metadata: ["mai.op": "branding.reset"])
        return try stateResponse(nil)
    }

    /// `PUT …/logo` or `…/favicon` with the image bytes as the body (any content type: the bytes decide).
    func adminImage(_ request: Request, _ context: AgentRequestContext, logo: Bool) async throws -> Response {
        var request = request
        let limit = logo ? BrandValidation.maxLogoBytes : BrandValidation.maxFaviconBytes
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "The \(logo ? "logo" : "favicon") is larger than \(limit / 1024) KiB; shrink or optimise it.")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "The \(logo ? "logo" : "favicon") is larger than \(limit / 1024) KiB; shrink or optimise it.")
        }
        let data = Data(buffer: buffer)
        let user = try context.requireIdentity().user.id
        let result = try await store.modify(by: user, now: services.clock.seconds) { update in
            let image = BrandImage(contentType: "application/octet-stream", data: data)
            if logo { update.logo = image } else { update.favicon = image }
        }
        return try answer(result, context: context, what: logo ? "logo" : "favicon")
    }

    func adminRemoveImage(_ context: AgentRequestContext, logo: Bool) async throws -> Response {
        let user = try context.requireIdentity().user.id
        let result = try await store.modify(by: user, now: services.clock.seconds) { update in
            if logo { update.logo = nil } else { update.favicon = nil }
        }
        return try answer(result, context: context, what: logo ? "logo removed" : "favicon removed")
    }

    func answer(_ result: Result<StoredBranding, BrandProblems>, context: AgentRequestContext, what: String) throws -> Response {
        switch result {
        case .success(let stored):
            context.logger.notice("branding changed", metadata: ["mai.op": "branding.update", "what": .string(what), "version": .string(stored.version)])
            return try stateResponse(stored)
        case .failure(let problems):
            throw APIError(.unprocessableContent, problems.detail)
        }
    }
}

/// The fleet admin API's branding routes: `maictl brand push` replaces the whole branding.
struct AdminBrandingRoutes {
    let services: AgentServices

    func addRoutes(to router: Router<AgentRequestContext>) {
        let controller = BrandingController(services: services)
        router.get("/admin/v1/branding") { _, _ in try controller.stateResponse(try await controller.store.current()) }
        router.put("/admin/v1/branding") { request, context in
            var request = request
            let buffer: ByteBuffer
            do {
                buffer = try await request.collectBody(upTo: BrandingController.maxUpdateBytes)
            } catch is NIOTooManyBytesError {
                throw APIError(.contentTooLarge, "The branding is larger than \(BrandingController.maxUpdateBytes / 1024) KiB; shrink the logo or favicon.")
            }
            let update: BrandingUpdate
            do {
                update = try AdminAPI.decoder.decode(BrandingUpdate.self, from: Data(buffer: buffer))
            } catch let error as DecodingError {
                throw Request.apiError(for: error)
            }
            // Never trust the sender: the same rules maictl applied, again.
            let (normalized, problems) = BrandValidation.validate(update)
            guard problems.isEmpty else { throw APIError(.unprocessableContent, BrandProblems(problems: problems).detail) }
            let stored = try await controller.store.replace(with: normalized, by: nil, now: services.clock.seconds)
            context.logger.notice("branding pushed", metadata: ["mai.op": "admin.branding", "version": .string(stored.version)])
            return try controller.stateResponse(stored)
        }
        router.delete("/admin/v1/branding") { _, context in
            try await controller.store.reset()
            context.logger.notice("branding reset", metadata: ["mai.op": "admin.branding_reset"])
            return try controller.stateResponse(nil)
        }
    }
}
