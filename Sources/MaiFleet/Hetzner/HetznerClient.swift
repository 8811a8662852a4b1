import Foundation
import MaiCore
import Synchronization

/// The Hetzner Cloud API: servers, SSH keys, firewalls, actions and the catalogue. Every call goes
/// through `send`, which waits when the rate limit is spent, retries as the official clients do and
/// turns error answers into `HetznerAPIError` (with the correlation id).
public struct HetznerClient: Sendable {
    public let transport: any HetznerTransport
    public var retry: HetznerRetryPolicy
    /// How often a running action is polled (the official clients: about once a second).
    public var pollInterval: Duration
    let sleep: @Sendable (Duration) async throws -> Void
    let now: @Sendable () -> Date
    let rateLimit = RateLimitBox()
    /// Notified before every wait (rate limit or retry), for progress lines.
    public var onWait: @Sendable (String) -> Void

    public init(transport: any HetznerTransport, retry: HetznerRetryPolicy = HetznerRetryPolicy(), pollInterval: Duration = .seconds(1),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                now: @escaping @Sendable () -> Date = { Date() }, onWait: @escaping @Sendable (String) -> Void = { _ in }) {
        self.transport = transport
        self.retry = retry
        self.pollInterval = pollInterval
        self.sleep = sleep
        self.now = now
        self.onWait = onWait
    }

    /// The public API.
    public static let defaultEndpoint = "https://api.hetzner.cloud/v1"

    /// From `HCLOUD_TOKEN` (required, never printed) and `HCLOUD_ENDPOINT` (optional, as the hcloud CLI).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HetznerClient {
        guard let token = environment["HCLOUD_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            throw HetznerClientError.noToken
        }
        let endpoint = environment["HCLOUD_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultEndpoint
        guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw HetznerClientError.invalidEndpoint(endpoint)
        }
        return HetznerClient(transport: HTTPHetznerTransport(endpoint: endpoint, token: Secret(token)))
    }

    /// The last rate-limit headers seen.
    public var lastRateLimit: HetznerRateLimit? { rateLimit.value }

    // MARK: Sending

    /// Sends `request` (waiting for the rate limit, retrying what may be retried) and returns a 2xx answer.
    public func send(_ request: HetznerRequest) async throws -> HetznerResponse {
        var attempt = 0
        while true {
            attempt += 1
            if let limit = rateLimit.value {
                let wait = limit.wait(now: now())
                if wait > .zero {
                    onWait("rate limit spent (\(limit.limit) requests); waiting \(wait.formattedSeconds) s")
                    try await sleep(wait)
                    rateLimit.spend()
                }
            }
            do {
                let response = try await transport.send(request)
                if let limit = HetznerRateLimit(headers: response.headers) { rateLimit.value = limit }
                guard (200..<300).contains(response.status) else {
                    throw HetznerAPIError.parse(status: response.status, body: response.body, correlationID: response.correlationID)
                }
                return response
            } catch {
                guard retry.shouldRetry(error, request: request, attempt: attempt) else { throw error }
                let delay = retry.delay(afterAttempt: attempt)
                onWait("\(request.method) \(request.path): \(Self.shortReason(error)); try \(attempt + 1) of \(retry.maxTries) in \(delay.formattedSeconds) s")
                try await sleep(delay)
            }
        }
    }

    /// Sends and decodes the answer.
    public func call<Value: Decodable>(_ request: HetznerRequest, as type: Value.Type = Value.self) async throws -> Value {
        let response = try await send(request)
        do {
            return try JSONDecoder().decode(Value.self, from: response.body)
        } catch {
            throw HetznerClientError.invalidResponse(reason: "\(request.method) \(request.path): \(error)", correlationID: response.correlationID)
        }
    }

    /// Every item of a paginated list: follows `meta.pagination.next_page` until it is null.
    public func all<Item: Decodable & Sendable>(_ key: String, _ makeRequest: (Int) -> HetznerRequest, as type: Item.Type = Item.self) async throws -> [Item] {
        var items: [Item] = []
        var page: Int? = 1
        var seen = Set<Int>()
        while let current = page, seen.insert(current).inserted {
            let request = makeRequest(current)
            let response = try await send(request)
            do {
                let list = try HetznerList<Item>.decode(response.body, key: key)
                items += list.items
                page = list.pagination?.nextPage
            } catch {
                throw HetznerClientError.invalidResponse(reason: "\(request.path) page \(current): \(error)", correlationID: response.correlationID)
            }
        }
        return items
    }

    private static func shortReason(_ error: Error) -> String {
        if let error = error as? HetznerAPIError { return "\(error.code) (HTTP \(error.status), correlation id \(error.correlationID ?? "none"))" }
        return "\(error)"
    }
}

/// The latest rate-limit reading, shared by copies of a client.
final class RateLimitBox: Sendable {
    private let state = Mutex<HetznerRateLimit?>(nil)

    var value: HetznerRateLimit? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    /// After waiting for one request's refill: allow one more before waiting again.
    func spend() {
        state.withLock { limit in
            if var current = limit { current.remaining = 1; limit = current }
        }
    }
}

/// A list answer: the items under `key` and `meta.pagination`.
struct HetznerList<Item: Decodable>: Decodable {
    var items: [Item]
    var pagination: HetznerPagination?

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    struct Meta: Decodable { let pagination: HetznerPagination? }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let key = decoder.userInfo[.listKey] as? String ?? ""
        items = try container.decode([Item].self, forKey: Key(stringValue: key))
        pagination = try container.decodeIfPresent(Meta.self, forKey: Key(stringValue: "meta"))?.pagination
    }

    static func decode(_ data: Data, key: String) throws -> HetznerList {
        let decoder = JSONDecoder()
        decoder.userInfo[.listKey] = key
        return try decoder.decode(HetznerList.self, from: data)
    }
}

extension CodingUserInfoKey {
    fileprivate static let listKey = CodingUserInfoKey(rawValue: "mai.hetzner.listKey")!
}

extension Duration {
    /// Seconds with one decimal, for progress lines.
    var formattedSeconds: String {
        let (seconds, attoseconds) = components
        let value = Double(seconds) + Double(attoseconds) / 1e18
        return String(format: "%.1f", value)
    }
}
