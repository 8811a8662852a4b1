import Crypto
import Foundation
import Hummingbird

/// Serves the web UI: plain HTML, CSS and ES modules from the bundle, held in memory.
struct WebController {
    struct Asset: Sendable {
        var body: ByteBuffer
        var contentType: String
        var etag: String
    }

    let assets: [String: Asset]

    /// Loads every file of the bundled `Static` folder.
    init() {
        var assets: [String: Asset] = [:]
        if let root = Bundle.module.resourceURL?.appendingPathComponent("Static"),
           let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
            for case let url as URL in enumerator where !url.hasDirectoryPath {
                guard let data = try? Data(contentsOf: url) else { continue }
                let name = String(url.path.dropFirst(root.path.count + 1))
                assets[name] = Asset(
                    body: ByteBuffer(bytes: data),
                    contentType: Self.contentType(url.pathExtension),
                    etag: "\"" + SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined() + "\""
                )
            }
        }
        if let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) {
            assets[Self.openAPIName] = Asset(
                body: ByteBuffer(bytes: data),
                contentType: "application/json",
                etag: "\"" + SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined() + "\""
            )
        }
        self.assets = assets
    }

    /// The key of the OpenAPI document among the assets (outside `Static/`, so never under /static).
    static let openAPIName = "/openapi.json"

    func addRoutes(to routes: RouteRegistrar) {
        routes.get("/", .open) { request, _ in try self.serve("index.html", request: request, cache: false) }
        routes.get("/openapi.json", .open) { request, _ in try self.serve(Self.openAPIName, request: request, cache: false) }
        routes.get("/static/**", .open) { request, context in
            let path = context.parameters.getCatchAll().joined(separator: "/")
            return try self.serve(path, request: request, cache: true)
        }
    }

    func serve(_ name: String, request: Request, cache: Bool) throws -> Response {
        guard !name.contains(".."), let asset = assets[name] else {
            throw APIError(.notFound, "Not found: \(request.uri.path).")
        }
        var headers: HTTPFields = [.contentType: asset.contentType, .eTag: asset.etag]
        headers[.cacheControl] = cache ? "public, max-age=3600" : "no-cache"
        if request.headers[.ifNoneMatch] == asset.etag {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.body))
    }

    static func contentType(_ fileExtension: String) -> String {
        switch fileExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        default: "application/octet-stream"
        }
    }
}
