import Foundation
import MaiCore

/// OpenRouter's management API (`/keys`, `/key`, `/activity`, `/credits`) with the management
/// (provisioning) key. Shapes as in OpenRouter's OpenAPI document; amounts are exact `Money`.
public struct OpenRouterManagementClient: Sendable {
    public static let defaultBaseURL = URL(string: "https://openrouter.ai/api/v1")!

    public let baseURL: URL
    let managementKey: Secret
    let transport: any OpenRouterTransport

    public init(baseURL: URL = Self.defaultBaseURL, managementKey: Secret, transport: any OpenRouterTransport = HTTPClientOpenRouterTransport()) {
        self.baseURL = baseURL
        self.managementKey = managementKey
        self.transport = transport
    }

    /// From `OPENROUTER_MANAGEMENT_KEY` and `OPENROUTER_BASE_URL` (default openrouter.ai).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                       transport: any OpenRouterTransport = HTTPClientOpenRouterTransport()) throws -> OpenRouterManagementClient {
        guard let key = environment["OPENROUTER_MANAGEMENT_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
            throw OpenRouterAPIError.noManagementKey
        }
        var baseURL = Self.defaultBaseURL
        if let text = environment["OPENROUTER_BASE_URL"], !text.isEmpty {
            guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), ["http", "https"].contains(url.scheme ?? ""),
                  url.host != nil
            else {
                throw OpenRouterAPIError.invalidRequest("OPENROUTER_BASE_URL '\(text)' is not an http(s) URL such as https://openrouter.ai/api/v1")
            }
            baseURL = url
        }
        return OpenRouterManagementClient(baseURL: baseURL, managementKey: Secret(key), transport: transport)
    }

    // MARK: Keys

    /// `GET /keys?include_disabled=&offset=`: one page (OpenRouter pages by 100).
    public func listKeys(includeDisabled: Bool = false, offset: Int = 0) async throws -> [OpenRouterKey] {
        var query = [URLQueryItem(name: "include_disabled", value: includeDisabled ? "true" : "false")]
        if offset > 0 { query.append(URLQueryItem(name: "offset", value: String(offset))) }
        return try await call("GET", "keys", query: query, as: DataEnvelope<[OpenRouterKey]>.self).data
    }

    /// Every key, following `offset` until a short page.
    public func allKeys(includeDisabled: Bool = true) async throws -> [OpenRouterKey] {
        var keys: [OpenRouterKey] = []
        while true {
            let page = try await listKeys(includeDisabled: includeDisabled, offset: keys.count)
            keys += page
            if page.isEmpty || keys.count >= 100_000 { return keys }
        }
    }

    /// `POST /keys` → 201 `{data, key}`.
    public func createKey(_ key: NewOpenRouterKey) async throws -> CreatedOpenRouterKey {
        guard !key.name.trimmingCharacters(in: .whitespaces).isEmpty else { throw OpenRouterAPIError.invalidRequest("a new key needs a name") }
        struct Created: Decodable { var data: OpenRouterKey; var key: String }
        let created = try await call("POST", "keys", body: key.json(), as: Created.self)
        return CreatedOpenRouterKey(key: created.data, secret: Secret(created.key))
    }

    /// `GET /keys/{hash}`.
    public func key(hash: String) async throws -> OpenRouterKey {
        try await call("GET", "keys/" + (try Self.checked(hash)), as: DataEnvelope<OpenRouterKey>.self).data
    }

    /// `PATCH /keys/{hash}`.
    public func updateKey(hash: String, _ patch: OpenRouterKeyPatch) async throws -> OpenRouterKey {
        try await call("PATCH", "keys/" + (try Self.checked(hash)), body: patch.json(), as: DataEnvelope<OpenRouterKey>.self).data
    }

    /// `DELETE /keys/{hash}` → `{deleted: true}`.
    public func deleteKey(hash: String) async throws {
        struct Deleted: Decodable { var deleted: Bool }
        let answer = try await call("DELETE", "keys/" + (try Self.checked(hash)), as: Deleted.self)
        guard answer.deleted else { throw OpenRouterAPIError.invalidResponse("DELETE /keys answered deleted: false") }
    }

    // MARK: Account

    /// `GET /key`: the management key itself.
    public func currentKey() async throws -> OpenRouterCurrentKey {
        try await call("GET", "key", as: DataEnvelope<OpenRouterCurrentKey>.self).data
    }

    /// `GET /activity?date=&api_key_hash=`: the last 30 completed UTC days.
    public func activity(date: String? = nil, apiKeyHash: String? = nil) async throws -> [OpenRouterActivity] {
        var query: [URLQueryItem] = []
        if let date { query.append(URLQueryItem(name: "date", value: date)) }
        if let apiKeyHash { query.append(URLQueryItem(name: "api_key_hash", value: try Self.checked(apiKeyHash))) }
        return try await call("GET", "activity", query: query, as: DataEnvelope<[OpenRouterActivity]>.self).data
    }

    /// `GET /credits`.
    public func credits() async throws -> OpenRouterCredits {
        try await call("GET", "credits", as: DataEnvelope<OpenRouterCredits>.self).data
    }

    // MARK: Plumbing

    struct DataEnvelope<Value: Decodable>: Decodable { var data: Value }

    /// OpenRouter's error shape `{"error": {"code", "message"}}`.
    struct ErrorBody: Decodable {
        struct Inner: Decodable { var message: String? }
        var error: Inner
    }

    /// A key hash goes into a path: only hex.
    static func checked(_ hash: String) throws -> String {
        guard (1...128).contains(hash.count), hash.allSatisfy(\.isHexDigit) else {
            throw OpenRouterAPIError.invalidRequest("'\(hash.prefix(80))' is not a key hash (hex, as GET /keys lists them)")
        }
        return hash.lowercased()
    }

    /// Builds the request for `method path?query` with `body`.
    func request(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil) -> OpenRouterRequest {
        var components = URLComponents(url: baseURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query }
        var headers = [("Authorization", "Bearer \(managementKey.value)"), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return OpenRouterRequest(method: method, url: components.url!, headers: headers, body: body)
    }

    func call<Value: Decodable>(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil, as type: Value.Type) async throws -> Value {
        let response = try await transport.send(request(method, path, query: query, body: body))
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: response.body))?.error.message
                ?? String(decoding: response.body.prefix(200), as: UTF8.self)
            throw OpenRouterAPIError.http(status: response.status, message: message)
        }
        do {
            return try JSONDecoder().decode(Value.self, from: response.body)
        } catch {
            throw OpenRouterAPIError.invalidResponse("\(method) /\(path): \(error)")
        }
    }
}
