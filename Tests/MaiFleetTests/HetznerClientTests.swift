import Foundation
import Synchronization
import Testing
@testable import MaiFleet

/// A transport that answers from a script and fails when the script runs out (fail by default).
final class ScriptedHetznerTransport: HetznerTransport, Sendable {
    struct Exhausted: Error {}
    private let state: Mutex<(answers: [Result<HetznerResponse, HetznerClientError>], sent: [HetznerRequest])>

    init(_ answers: [Result<HetznerResponse, HetznerClientError>]) {
        state = Mutex((answers, []))
    }

    var sent: [HetznerRequest] { state.withLock { $0.sent } }

    func send(_ request: HetznerRequest) async throws -> HetznerResponse {
        let next = state.withLock { state -> Result<HetznerResponse, HetznerClientError>? in
            state.sent.append(request)
            return state.answers.isEmpty ? nil : state.answers.removeFirst()
        }
        guard let next else { throw Exhausted() }
        return try next.get()
    }

    static func answer(_ status: Int, _ body: String, headers: [String: String] = [:]) -> Result<HetznerResponse, HetznerClientError> {
        .success(HetznerResponse(status: status, headers: ["X-Correlation-Id": "corr-\(status)"].merging(headers) { $1 }, body: Data(body.utf8)))
    }
}

/// Records sleeps instead of sleeping.
final class SleepLog: Sendable {
    private let log = Mutex<[Duration]>([])
    var sleeps: [Duration] { log.withLock { $0 } }
    func record(_ duration: Duration) { log.withLock { $0.append(duration) } }
}

@Suite struct HetznerClientTests {
    static let rateLimitError = #"{"error":{"code":"rate_limit_exceeded","message":"limit of 3600 requests per hour reached","details":null}}"#
    static func keysPage(_ ids: [Int], _ next: Int?) -> String {
        let keys = ids.map { #"{"id":\#($0),"name":"k\#($0)","fingerprint":"aa:bb","public_key":"ssh-ed25519 AAAA","labels":{},"created":"2026-01-01T00:00:00+00:00"}"# }
        return #"{"ssh_keys":[\#(keys.joined(separator: ","))],"meta":{"pagination":{"page":1,"per_page":50,"previous_page":null,"next_page":\#(next.map(String.init) ?? "null"),"last_page":2,"total_entries":3}}}"#
    }

    func client(_ transport: ScriptedHetznerTransport, sleeps: SleepLog, now: Date = Date()) -> HetznerClient {
        HetznerClient(transport: transport, sleep: { sleeps.record($0) }, now: { now })
    }

    @Test func createServerBodyCarriesLabelsKeysFirewallAndUserData() throws {
        let request = HetznerRequest.createServer(HetznerServerCreation(
            name: "acme", serverType: "cx23", image: "debian-12", location: "nbg1", sshKeys: ["operator"],
            userData: "#cloud-config\n", labels: ["mai/client": "acme", "mai/managed": "true"], firewallIDs: [7]))
        #expect(request.method == "POST")
        #expect(request.path == "/servers")
        let data = try #require(request.body)
        let body = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(body["name"] as? String == "acme")
        #expect(body["server_type"] as? String == "cx23")
        #expect(body["location"] as? String == "nbg1")
        #expect(body["image"] as? String == "debian-12")
        #expect(body["ssh_keys"] as? [String] == ["operator"])
        #expect(body["labels"] as? [String: String] == ["mai/client": "acme", "mai/managed": "true"])
        #expect((body["firewalls"] as? [[String: Int]])?.first?["firewall"] == 7)
        #expect(body["user_data"] as? String == "#cloud-config\n")
        #expect(body["start_after_create"] as? Bool == true)
    }

    @Test func listRequestsEncodeTheSelectorAndPage() {
        let request = HetznerRequest.listServers(labelSelector: "mai/managed=true,mai/client=acme", page: 2)
        #expect(request.pathAndQuery == "/servers?label_selector=mai/managed%3Dtrue,mai/client%3Dacme&page=2&per_page=50"
            || request.pathAndQuery == "/servers?label_selector=mai/managed=true,mai/client=acme&page=2&per_page=50")
        #expect(HetznerRequest.setFirewallRules(3, rules: []).path == "/firewalls/3/actions/set_rules")
        #expect(HetznerRequest.serverAction(9, "poweroff").path == "/servers/9/actions/poweroff")
    }

    @Test func errorsNameTheFieldsAndTheCorrelationID() async throws {
        let transport = ScriptedHetznerTransport([ScriptedHetznerTransport.answer(400,
            #"{"error":{"code":"invalid_input","message":"invalid input in field 'name'","details":{"fields":[{"name":"name","messages":["must be a valid hostname"]}]}}}"#)])
        let error = await #expect(throws: HetznerAPIError.self) {
            _ = try await client(transport, sleeps: SleepLog()).sshKeys()
        }
        let message = try #require(error).description
        #expect(message.contains("invalid_input"))
        #expect(message.contains("name: must be a valid hostname"))
        #expect(message.contains("correlation id corr-400"))
        #expect(transport.sent.count == 1, "invalid input is not retried")
    }

    @Test func anErrorThatIsNotJSONKeepsItsTextAndCorrelationID() {
        let error = HetznerAPIError.parse(status: 502, body: Data("Bad Gateway".utf8), correlationID: "abc")
        #expect(error.description.contains("Bad Gateway"))
        #expect(error.description.contains("correlation id abc"))
    }

    @Test func rateLimitedRequestsAreRetriedWithBackoff() async throws {
        let transport = ScriptedHetznerTransport([
            ScriptedHetznerTransport.answer(429, Self.rateLimitError),
            ScriptedHetznerTransport.answer(429, Self.rateLimitError),
            ScriptedHetznerTransport.answer(200, Self.keysPage([1], nil)),
        ])
        let sleeps = SleepLog()
        let keys = try await client(transport, sleeps: sleeps).sshKeys()
        #expect(keys.map(\.id) == [1])
        #expect(transport.sent.count == 3)
        #expect(sleeps.sleeps.count == 2)
        #expect(sleeps.sleeps[0] >= .milliseconds(500) && sleeps.sleeps[0] <= .seconds(1))
        #expect(sleeps.sleeps[1] >= .seconds(1) && sleeps.sleeps[1] <= .seconds(2))
    }

    @Test func retriesStopAfterFiveTries() async {
        let transport = ScriptedHetznerTransport(Array(repeating: ScriptedHetznerTransport.answer(429, Self.rateLimitError), count: 6))
        let sleeps = SleepLog()
        await #expect(throws: HetznerAPIError.self) { _ = try await client(transport, sleeps: sleeps).sshKeys() }
        #expect(transport.sent.count == 5)
        #expect(sleeps.sleeps.count == 4)
    }

    @Test func aFailedCreateIsNotRepeatedWithoutAClearNo() async {
        let transport = ScriptedHetznerTransport([ScriptedHetznerTransport.answer(502, "<html>bad gateway</html>")])
        await #expect(throws: HetznerAPIError.self) {
            _ = try await client(transport, sleeps: SleepLog()).createSSHKey(name: "a", publicKey: "ssh-ed25519 AAAA", labels: [:])
        }
        #expect(transport.sent.count == 1)
    }

    @Test func backoffDoublesUpToTheCap() {
        let policy = HetznerRetryPolicy()
        #expect((1...8).map { policy.delay(afterAttempt: $0, jitter: 1) } == [1, 2, 4, 8, 16, 32, 60, 60].map { Duration.seconds($0) })
    }

    @Test func paginationIsFollowedToTheLastPage() async throws {
        let transport = ScriptedHetznerTransport([
            ScriptedHetznerTransport.answer(200, Self.keysPage([1, 2], 2)),
            ScriptedHetznerTransport.answer(200, Self.keysPage([3], nil)),
        ])
        let keys = try await client(transport, sleeps: SleepLog()).sshKeys()
        #expect(keys.map(\.id) == [1, 2, 3])
        #expect(transport.sent.map { $0.query.first { $0.name == "page" }?.value } == ["1", "2"])
    }

    @Test func aSpentBudgetIsWaitedForBeforeTheNextRequest() async throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let spent = ["RateLimit-Limit": "3600", "RateLimit-Remaining": "0", "RateLimit-Reset": "1800003600"]
        let transport = ScriptedHetznerTransport([
            ScriptedHetznerTransport.answer(200, Self.keysPage([1], nil), headers: spent),
            ScriptedHetznerTransport.answer(200, Self.keysPage([1], nil)),
        ])
        let sleeps = SleepLog()
        let hetzner = client(transport, sleeps: sleeps, now: now)
        _ = try await hetzner.sshKeys()
        #expect(hetzner.lastRateLimit == HetznerRateLimit(limit: 3600, remaining: 0, reset: 1_800_003_600))
        #expect(sleeps.sleeps.isEmpty)
        _ = try await hetzner.sshKeys()
        #expect(sleeps.sleeps == [.seconds(1)], "one request refills per second")
    }

    @Test func aFailedActionAndAHungActionAreReported() async throws {
        let failed = #"{"action":{"id":5,"command":"create_server","status":"error","progress":40,"started":"2026-01-01T00:00:00+00:00","finished":null,"resources":[],"error":{"code":"server_error","message":"host failed"}}}"#
        let transport = ScriptedHetznerTransport([ScriptedHetznerTransport.answer(200, failed)])
        let running = HetznerAction(id: 5, command: "create_server", status: "running", progress: 0, started: "")
        let error = await #expect(throws: HetznerClientError.self) {
            try await client(transport, sleeps: SleepLog()).wait(for: running, timeout: .seconds(60))
        }
        #expect(error == .actionFailed(id: 5, command: "create_server", code: "server_error", message: "host failed"))

        let hung = ScriptedHetznerTransport([])
        let timeout = await #expect(throws: HetznerClientError.self) {
            try await client(hung, sleeps: SleepLog()).wait(for: running, timeout: .zero)
        }
        #expect(timeout == .actionTimedOut(id: 5, command: "create_server", progress: 0, seconds: 0))
    }

    @Test func theTokenComesFromTheEnvironmentAndIsNeverShown() throws {
        #expect(throws: HetznerClientError.noToken) { try HetznerClient.fromEnvironment([:]) }
        #expect(throws: HetznerClientError.invalidEndpoint("ftp://x")) {
            try HetznerClient.fromEnvironment(["HCLOUD_TOKEN": "t", "HCLOUD_ENDPOINT": "ftp://x"])
        }
        let client = try HetznerClient.fromEnvironment(["HCLOUD_TOKEN": "very-secret", "HCLOUD_ENDPOINT": "http://127.0.0.1:9/v1"])
        #expect(!"\(client)".contains("very-secret"))
        #expect((client.transport as? HTTPHetznerTransport)?.endpoint == "http://127.0.0.1:9/v1")
    }
}
