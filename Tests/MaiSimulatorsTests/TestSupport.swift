import MaiCore
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaiSimulators
import NIOCore
import Testing

/// Shared helpers for the simulator tests.
enum TestSupport {
    static let userKey = "sk-or-v1-user-0001"
    static let otherKey = "sk-or-v1-user-0002"
    static let managementKey = "sk-or-v1-mgmt-0001"

    static func openRouter(clock: ManualSimulatorClock = ManualSimulatorClock()) -> OpenRouterSimulator {
        OpenRouterSimulator(configuration: .testing, clock: clock.clock)
    }

    static func chatBody(_ text: String, model: String = "openai/gpt-4o-mini", stream: Bool = false, extra: String = "") -> ByteBuffer {
        let content = JSONValue.quoted(text)
        return ByteBuffer(string: #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":\#(content)}]\#(extra)}"#)
    }

    static func headers(_ key: String?) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let key { fields[.authorization] = "Bearer \(key)" }
        return fields
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(buffer: buffer))
        return try #require(object as? [String: Any])
    }

    static func json(_ text: String) throws -> [String: Any] {
        try json(ByteBuffer(string: text))
    }

    /// POSTs `body` to a live server and returns status, headers and the whole body as text; a body
    /// that ends abruptly returns what arrived plus the error.
    static func post(_ url: String, body: ByteBuffer, headers: [(String, String)], timeout: TimeAmount = .seconds(10)) async throws -> (status: Int, headers: [String: String], text: String, error: (any Error)?) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(body)
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        var text = ""
        var failure: (any Error)?
        do {
            for try await buffer in response.body { text += String(buffer: buffer) }
        } catch {
            failure = error
        }
        let fields = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        return (Int(response.status.code), fields, text, failure)
    }

    /// The raw JSON number literals of every `"key":` member in `text`, in order (money is compared
    /// from its text: a `Double` would lose digits).
    static func numberLiterals(_ text: String, key: String) -> [String] {
        text.components(separatedBy: "\"\(key)\":").dropFirst().map { rest in
            String(rest.prefix { "0123456789.eE+-".contains($0) })
        }
    }

    /// The amounts of every `"key":` member in `text`, in whole nano-dollars by the simulator's rule.
    static func amounts(_ text: String, key: String) -> [Int64?] {
        numberLiterals(text, key: key).map { SimDecimal.roundedNanos(ofJSONNumber: $0) }
    }

    /// The `data:` payloads of an SSE text, in order (comments skipped).
    static func dataLines(_ text: String) -> [String] {
        text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
    }

    /// Waits (up to `timeout`) until `condition` holds.
    static func eventually(timeout: Duration = .seconds(3), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
