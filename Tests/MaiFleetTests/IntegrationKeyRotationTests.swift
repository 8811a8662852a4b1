import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MaiCore
import Synchronization
import Testing
@testable import MaiFleet

/// Chats that succeeded and failed per host while a rotation ran.
final class ChatCounter: Sendable {
    private let state = Mutex<(stopped: Bool, counts: [String: (ok: Int, failed: Int)])>((false, [:]))
    var stopped: Bool { state.withLock { $0.stopped } }
    func stop() { state.withLock { $0.stopped = true } }
    func record(_ host: String, ok: Bool) {
        state.withLock { state in
            var counts = state.counts[host] ?? (0, 0)
            if ok { counts.ok += 1 } else { counts.failed += 1 }
            state.counts[host] = counts
        }
    }
    func counts(_ host: String) -> (ok: Int, failed: Int) { state.withLock { $0.counts[host] ?? (0, 0) } }
}

/// `maictl keys rotate`, `keys status` and `usage reconcile` — the real binary — against the test
/// fleet's real agents (over SSH) and the OpenRouter simulator's management API.
@Suite("Integration: key rotation on the test fleet", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root) or TESTFLEET_HOSTS_JSON"), .testFleet(hosts: 3))
struct IntegrationKeyRotationTests {
    static let managementKey = "sk-or-v1-mgmt-testfleet"
    let fleet: IntegrationTestFleet
    let workspace: MaictlWorkspace

    init() throws {
        fleet = try #require(IntegrationTestFleet.current, "no test fleet")
        workspace = try MaictlWorkspace(fleet: fleet, name: "keys")
    }

    var simRoot: String { String(fleet.simUrl.dropLast("/api/v1".count)) }

    func maictl(_ arguments: String...) throws -> (Int32, String, String) {
        try workspace.run(arguments + ["--fleet", workspace.work + "/fleet"],
                          environment: ["OPENROUTER_MANAGEMENT_KEY": Self.managementKey, "OPENROUTER_BASE_URL": fleet.simUrl])
    }

    // MARK: HTTP helpers

    static func request(_ url: String, method: String = "GET", body: Any? = nil, token: String? = nil, timeout: TimeInterval = 60) async throws -> (Int, Any?) {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONSerialization.jsonObject(with: data))
    }

    func setFaults(_ faults: [String: Any]) async throws {
        let (status, _) = try await Self.request(simRoot + "/__sim/faults", method: "POST", body: faults)
        #expect(status == 200)
    }

    /// The simulator's view of a key (`GET /keys/{hash}` with the management key); `nil` when deleted.
    func simKey(_ hash: String) async throws -> [String: Any]? {
        let (status, body) = try await Self.request(fleet.simUrl + "/keys/\(hash)", token: Self.managementKey)
        if status == 404 { return nil }
        #expect(status == 200)
        return (body as? [String: Any])?["data"] as? [String: Any]
    }

    /// Registers each host's starting key with a name and a limit, as if it had been made in OpenRouter's dashboard.
    func registerStartingKeys() async throws {
        for host in fleet.hosts {
            let (status, _) = try await Self.request(simRoot + "/__sim/keys", method: "POST", body: [
                "key": "sk-or-v1-testfleet-\(host.name)", "behavior": ["name": "testfleet \(host.name)", "limit": 50, "limit_reset": "monthly"],
            ])
            #expect(status == 201)
        }
    }

    /// An employee's token on `host` (signs up the first time).
    static func token(on host: IntegrationTestFleet.Host) async throws -> String {
        let base = "http://\(host.ip):\(host.publicPort)"
        let credentials = ["name": "Admin", "email": "admin@\(host.name).example", "password": "password 123"]
        if let token = (try await request(base + "/api/v1/auths/signup", method: "POST", body: credentials).1 as? [String: Any])?["token"] as? String {
            return token
        }
        return try #require((try await request(base + "/api/v1/auths/signin", method: "POST", body: credentials).1 as? [String: Any])?["token"] as? String)
    }

    /// One chat through the agent's public port; true when a complete answer came back.
    static func chat(on host: IntegrationTestFleet.Host, token: String, text: String) async -> Bool {
        guard let (status, body) = try? await request("http://\(host.ip):\(host.publicPort)/v1/chat/completions", method: "POST", body: [
            "model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": text]],
        ], token: token) else { return false }
        let choices = (body as? [String: Any])?["choices"] as? [[String: Any]]
        return status == 200 && (choices?.first?["finish_reason"] as? String) == "stop"
    }

    func withAdmin<Value: Sendable>(_ host: IntegrationTestFleet.Host, _ body: @Sendable (AdminAPIClient) async throws -> Value) async throws -> Value {
        let knownHosts = try KnownHostsFile(stateDirectory: workspace.work + "/state")
        let session = try await SSHSession.connect(to: host.target, credentials: .keyFile(path: fleet.clientKey, passphrase: nil), knownHosts: knownHosts)
        do {
            let value = try await body(AdminAPIClient(tunnels: session, token: Secret(try fleet.token(host)), hostLabel: host.name))
            await session.close()
            return value
        } catch {
            await session.close()
            throw error
        }
    }

    /// Confirms until the agent has nothing provisional left (under any key), or fails after `timeout`.
    func confirmEverything(_ host: IntegrationTestFleet.Host, timeout: Duration = .seconds(90)) async throws -> OpenRouterKeyState {
        let deadline = ContinuousClock.now + timeout
        while true {
            let state = try await withAdmin(host) { admin in
                try await admin.confirmUsageNow()
                return try await admin.openRouterKey()
            }
            if state.provisional == 0 && state.oldKeys.allSatisfy({ $0.provisional == 0 }) { return state }
            guard ContinuousClock.now < deadline else {
                Issue.record("\(host.name) still has provisional generations: \(state)")
                return state
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    // MARK: Tests

    @Test("three clients rotate while employees chat: no chat fails, every generation is confirmed, books match, old keys are gone")
    func rotateUnderTraffic() async throws {
        let hosts = Array(fleet.hosts.prefix(3))
        try #require(hosts.count == 3, "the fleet needs 3 hosts")
        try await setFaults([:])
        try await registerStartingKeys()
        var signedIn: [String: String] = [:]
        for host in hosts { signedIn[host.name] = try await Self.token(on: host) }
        let tokens = signedIn
        let before = try await withAdminStates(hosts)
        // Books before this test's traffic, on both sides (other tests may have used the fleet today).
        let today = KeyRotation.day(Date())
        var booksBefore: [String: UsageTotals] = [:]
        for host in hosts {
            _ = try await confirmEverything(host)
            booksBefore[host.name] = try await withAdmin(host) { try await $0.usage(from: today, to: today) }.totals
        }
        let servedBefore = Set(try await simGenerations().map(\.id))

        let counter = ChatCounter()
        let traffic = Task {
            await withTaskGroup(of: Void.self) { group in
                for host in hosts {
                    for worker in 0..<3 {
                        let token = tokens[host.name]!
                        group.addTask {
                            var index = 0
                            while !counter.stopped {
                                let ok = await Self.chat(on: host, token: token, text: "chat \(worker)-\(index) during rotation [[sim:tokens=30]]")
                                counter.record(host.name, ok: ok)
                                index += 1
                            }
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(1))
        let (status, out, err) = try maictl("keys", "rotate", "--all", "--grace", "0", "--drain-timeout", "120s", "-o", "json")
        try await Task.sleep(for: .seconds(1))
        counter.stop()
        await traffic.value
        #expect(status == 0, "\(err)\n\(out)")

        for host in hosts {
            let count = counter.counts(host.name)
            #expect(count.failed == 0, "\(host.name): \(count.failed) chats failed")
            #expect(count.ok >= 3, "\(host.name): only \(count.ok) chats ran")
        }
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]], "\(out)")
        #expect(rows.count == 3 && rows.allSatisfy { $0["step"] as? String == "finished" })
        let generations = try await simGenerations().filter { !servedBefore.contains($0.id) }
        for host in hosts {
            let old = try #require(before[host.name]?.currentHash)
            let state = try await confirmEverything(host)
            let new = try #require(state.currentHash)
            #expect(new != old)
            #expect(try await simKey(old) == nil, "\(host.name): old key deleted at OpenRouter")
            let key = try #require(try await simKey(new))
            #expect(key["name"] as? String == "mai-\(host.serverId)-\(today)")
            #expect(key["limit"] as? Int == 50 && key["limit_reset"] as? String == "monthly" && key["disabled"] as? Bool == false)
            // The simulator's books for every key this agent ever had equal the agent's own books.
            let hashes = Set([new] + state.oldKeys.map(\.hash))
            let served = generations.filter { hashes.contains($0.keyHash) }
            let simCost = served.reduce(Money.zero) { $0 + $1.cost }
            let books = try await withAdmin(host) { admin in try await admin.usage(from: today, to: today) }.totals
            let earlier = try #require(booksBefore[host.name])
            #expect(books.requests - earlier.requests == served.count, "\(host.name): agent booked \(books.requests - earlier.requests), OpenRouter served \(served.count)")
            #expect(books.rawCost - earlier.rawCost == simCost, "\(host.name)")
            #expect(books.provisional == 0 && books.unverified == 0 && books.confirmed - earlier.confirmed == served.count, "every generation confirmed")
            // New chats still work on the new key.
            #expect(await Self.chat(on: host, token: tokens[host.name]!, text: "after rotation"))
        }
        let (statusCode, statusOut, statusErr) = try maictl("keys", "status", "-o", "json")
        #expect(statusCode == 0, "\(statusErr)")
        let statusRows = try #require(try JSONSerialization.jsonObject(with: Data(statusOut.utf8)) as? [[String: Any]])
        for row in statusRows {
            #expect(row["limit"] as? String == "50" && (row["age_seconds"] as? Int ?? 999) < 600, "\(row)")
        }
    }

    struct SimGeneration: Decodable {
        var id: String
        var keyHash: String
        var cost: Money

        enum CodingKeys: String, CodingKey { case id, keyHash = "key_hash", cost }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            keyHash = try c.decode(String.self, forKey: .keyHash)
            cost = try #require(Money(try c.decode(Decimal.self, forKey: .cost)))
        }
    }

    /// The simulator's completions started and not yet recorded (`GET /__sim/running`), by id.
    func simRunning() async throws -> [String] {
        let (status, body) = try await Self.request(simRoot + "/__sim/running")
        #expect(status == 200)
        return (((body as? [String: Any])?["data"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
    }

    /// Polls `condition` until it holds, or records a failure after `seconds`.
    func eventually(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out after \(seconds) s waiting for \(what)")
    }

    /// Every generation the simulator served (its books), costs read exactly.
    func simGenerations() async throws -> [SimGeneration] {
        struct Envelope: Decodable { var data: [SimGeneration] }
        let (data, _) = try await URLSession.shared.data(from: URL(string: simRoot + "/__sim/generations")!)
        return try JSONDecoder().decode(Envelope.self, from: data).data
    }

    func withAdminStates(_ hosts: [IntegrationTestFleet.Host]) async throws -> [String: OpenRouterKeyState] {
        var states: [String: OpenRouterKeyState] = [:]
        for host in hosts { states[host.name] = try await withAdmin(host) { try await $0.openRouterKey() } }
        return states
    }

    @Test("a rotation interrupted by the management API, by the agent refusing the key, and by a drain timeout keeps a working key and resumes")
    func interruptedRotationsResume() async throws {
        let host = try fleet.host(1)
        try await setFaults([:])
        try await registerStartingKeys()
        let token = try await Self.token(on: host)
        #expect(await Self.chat(on: host, token: token, text: "before"))

        // 1. The management API is down: stopped before anything changed.
        let start = try #require(try await withAdmin(host) { try await $0.openRouterKey() }.currentHash)
        try await setFaults(["management_error": 503])
        var (status, _, err) = try maictl("keys", "rotate", host.serverId, "--grace", "0")
        #expect(status == 1, "exit \(status): \(err)")
        #expect(err.contains("before the agent had a new key") && err.contains("maictl keys rotate \(host.serverId)"), "\(err)")
        #expect(try await withAdmin(host) { try await $0.openRouterKey() }.currentHash == start)
        #expect(await Self.chat(on: host, token: token, text: "management down"))
        try await setFaults([:])
        (status, _, err) = try maictl("keys", "rotate", host.serverId, "--grace", "0", "--drain-timeout", "120s")
        #expect(status == 0, "\(err)")
        let second = try #require(try await withAdmin(host) { try await $0.openRouterKey() }.currentHash)
        let startGone = try await simKey(start) == nil
        #expect(second != start && startGone)

        // 2. The agent refuses the new key: still on its key, no unused key left at OpenRouter.
        try await setFaults(["created_key_behavior": ["key_error": 401]])
        (status, _, err) = try maictl("keys", "rotate", host.serverId, "--grace", "0")
        #expect(status == 1, "exit \(status): \(err)")
        #expect(err.contains("handing the new key to the agent") && err.contains("old key, which works"), "\(err)")
        #expect(try await withAdmin(host) { try await $0.openRouterKey() }.currentHash == second)
        #expect(await Self.chat(on: host, token: token, text: "refused"))
        let (_, listed) = try await Self.request(fleet.simUrl + "/keys?include_disabled=true", token: Self.managementKey)
        let ours = ((listed as? [String: Any])?["data"] as? [[String: Any]] ?? []).filter { ($0["name"] as? String ?? "").hasPrefix("mai-\(host.serverId)-") }
        #expect(ours.compactMap { $0["hash"] as? String } == [second], "no unused key left at OpenRouter: \(ours)")
        try await setFaults([:])
        (status, _, err) = try maictl("keys", "rotate", host.serverId, "--grace", "0", "--drain-timeout", "120s")
        #expect(status == 0, "\(err)")
        let third = try #require(try await withAdmin(host) { try await $0.openRouterKey() }.currentHash)
        let secondGone = try await simKey(second) == nil
        #expect(third != second && secondGone)

        // 3. The old key cannot drain in time (OpenRouter cannot confirm): the client is on the new key,
        //    the old one stays enabled until its generations are confirmed.
        #expect(await Self.chat(on: host, token: token, text: "to confirm later"))
        try await setFaults(["generation_error": 503])
        (status, _, err) = try maictl("keys", "rotate", host.serverId, "--grace", "0", "--drain-timeout", "3s")
        #expect(status == 1, "exit \(status): \(err)")
        #expect(err.contains("waiting for the old key to drain") && err.contains("new key, which works"), "\(err)")
        let fourth = try #require(try await withAdmin(host) { try await $0.openRouterKey() }.currentHash)
        #expect(fourth != third)
        #expect(try await simKey(third)?["disabled"] as? Bool == false, "the old key is not disabled while it has rows to confirm")
        #expect(await Self.chat(on: host, token: token, text: "on the new key"))
        let (keysStatus, keysOut, _) = try maictl("keys", "status", "--only", host.serverId)
        #expect(keysStatus == 0 && keysOut.contains("rotation at switched"), "\(keysOut)")
        try await setFaults([:])
        (status, _, err) = try maictl("keys", "rotate", host.serverId, "--grace", "0", "--drain-timeout", "120s")
        #expect(status == 0, "\(err)")
        #expect(try await simKey(third) == nil)
        _ = try await confirmEverything(host)
        let books = try await withAdmin(host) { admin in try await admin.usage(from: KeyRotation.day(Date()), to: KeyRotation.day(Date())) }
        #expect(books.totals.provisional == 0 && books.totals.unverified == 0)
    }

    @Test("usage reconcile: each agent's books equal OpenRouter's activity for all its keys; a usage the agent never booked is flagged on its day")
    func reconcile() async throws {
        try await setFaults([:])
        try await registerStartingKeys()
        // h1 gets a key whose secret the test knows, to spend on it behind the agent's back later.
        let h1 = try fleet.host(1)
        let secret = "sk-or-v1-reconcile-\(UUID().uuidString.prefix(8).lowercased())"
        #expect(try await Self.request(simRoot + "/__sim/keys", method: "POST", body: ["key": secret, "behavior": ["name": "reconcile h1"]]).0 == 201)
        _ = try await withAdmin(h1) { try await $0.switchOpenRouterKey(to: Secret(secret)) }
        for host in fleet.hosts {
            let token = try await Self.token(on: host)
            #expect(await Self.chat(on: host, token: token, text: "for the books"))
            _ = try await confirmEverything(host)
        }
        // OpenRouter counts only completed days: take tomorrow as today on both sides.
        let today = KeyRotation.day(Date())
        let tomorrow = KeyRotation.day(Date().addingTimeInterval(86_400))
        let month = String(today.prefix(7))
        try await setFaults(["activity_as_of": tomorrow])
        var (status, out, err) = try maictl("usage", "reconcile", "--month", month, "--as-of", tomorrow, "--threshold", "0", "-o", "json")
        #expect(status == 0, "\(err)\n\(out)")
        var report = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        var clients = try #require(report["clients"] as? [[String: Any]])
        #expect(clients.count == fleet.hosts.count && report["flagged"] as? Int == 0)
        #expect(clients.allSatisfy { ($0["agent_total"] as? String) == ($0["openrouter_total"] as? String) && ($0["agent_total"] as? String) != "0" }, "\(clients)")

        // Spend on h1's key outside the agent: OpenRouter's record now exceeds the agent's books today.
        let (direct, _) = try await Self.request(fleet.simUrl + "/chat/completions", method: "POST",
                                                 body: ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "not booked"]]], token: secret)
        #expect(direct == 200)
        (status, out, err) = try maictl("usage", "reconcile", "--month", month, "--as-of", tomorrow, "--threshold", "0", "-o", "json")
        #expect(status == 2, "\(err)")
        report = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        clients = try #require(report["clients"] as? [[String: Any]])
        let flagged = clients.filter { (($0["days"] as? [[String: Any]]) ?? []).contains { $0["flagged"] as? Bool == true } }
        #expect(flagged.map { $0["client"] as? String } == [h1.serverId])
        let day = ((flagged.first?["days"] as? [[String: Any]]) ?? []).first { $0["flagged"] as? Bool == true }
        #expect(day?["day"] as? String == today && (day?["difference"] as? String ?? "").hasPrefix("-"))

        // h3's agent dies after OpenRouter started a request and before its response head: OpenRouter
        // charges it, and the agent never learns its id. `--settle` books it at OpenRouter's figures, once.
        let h3 = try fleet.host(3)
        let h3Token = try await Self.token(on: h3)
        let waiting = Task { await Self.chat(on: h3, token: h3Token, text: "never named [[sim:head_latency_ms=60000]]") }
        try await eventually("OpenRouter to start h3's request", seconds: 30) { try await self.simRunning().count == 1 }
        let started = try await simRunning()
        try fleet.script("agent", "3", "kill")
        #expect(await waiting.value == false, "the employee's request cannot have been answered")
        try await eventually("OpenRouter to record the request it started", seconds: 60) {
            let served = try await self.simGenerations().map(\.id)
            return try await self.simRunning().isEmpty && started.allSatisfy(served.contains)
        }
        let h3State = try await confirmEverything(h3)
        #expect(h3State.provisional == 0, "\(h3State)")
        (status, out, err) = try maictl("usage", "reconcile", "--month", month, "--as-of", tomorrow, "--threshold", "0", "--settle", "-o", "json")
        #expect(status == 2, "only h1's spend behind its agent's back is left: \(err)\n\(out)")
        report = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "\(out)")
        let settlements = report["settlements"] as? [String: [[String: Any]]] ?? [:]
        let settled = (settlements[h3.serverId] ?? []).map { ($0["settled"] as? Int ?? -1, $0["dropped"] as? Int ?? -1) }
        #expect(settled.count == 1 && settled.first! == (1, 0), "one request settled, none dropped: \(report)")
        clients = try #require(report["clients"] as? [[String: Any]])
        let h3Books = clients.first { $0["client"] as? String == h3.serverId }
        #expect(h3Books?["agent_total"] as? String == h3Books?["openrouter_total"] as? String, "\(h3Books ?? [:])")
        #expect(clients.filter { (($0["days"] as? [[String: Any]]) ?? []).contains { $0["flagged"] as? Bool == true } }.map { $0["client"] as? String } == [h1.serverId],
                "\(clients)")
        // Settling again changes nothing.
        (status, out, err) = try maictl("usage", "reconcile", "--month", month, "--as-of", tomorrow, "--threshold", "0", "--settle", "-o", "json")
        report = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "\(out)\n\(err)")
        let again = report["settlements"] as? [String: [[String: Any]]] ?? [:]
        #expect((again[h3.serverId] ?? []).isEmpty, "\(report)")
        let clientsAgain = report["clients"] as? [[String: Any]] ?? []
        let totalAgain = clientsAgain.first { $0["client"] as? String == h3.serverId }?["agent_total"] as? String
        #expect(totalAgain != nil && totalAgain == h3Books?["agent_total"] as? String, "\(report)")

        // A client that does not answer is listed as missing, never counted as zero.
        try fleet.script("sshd", "2", "stop")
        defer { try? fleet.script("sshd", "2", "start") }
        (status, out, err) = try maictl("usage", "reconcile", "--month", month, "--as-of", tomorrow)
        #expect(status == 2, "exit \(status): \(err)")
        let down = try fleet.host(2).serverId
        #expect(out.contains("MISSING") && err.contains("missing \(down)"), "\(out)\n\(err)")
        try await setFaults([:])
    }
}
