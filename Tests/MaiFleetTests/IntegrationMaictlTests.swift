import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MaiCore
import Testing
@testable import MaiFleet

/// `maictl status` and `maictl usage report` — the real binary — against the test fleet's real
/// agents over SSH: results match each agent's own books, and a host that is down is named.
@Suite("Integration: maictl on the test fleet", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root) or TESTFLEET_HOSTS_JSON"), .testFleet)
struct IntegrationMaictlTests {
    let fleet: IntegrationTestFleet
    let work: String
    let workspace: MaictlWorkspace

    init() throws {
        fleet = try #require(IntegrationTestFleet.current, "no test fleet")
        workspace = try MaictlWorkspace(fleet: fleet, name: "maictl")
        work = workspace.work
    }

    /// Runs maictl; returns (exit status, stdout, stderr).
    func run(_ arguments: String...) throws -> (Int32, String, String) {
        try workspace.run(arguments)
    }

    /// An employee on host `index` chats once through the agent's public port (real HTTP).
    func chat(on host: IntegrationTestFleet.Host) async throws {
        func post(_ path: String, _ body: [String: Any], token: String? = nil) async throws -> [String: Any] {
            var request = URLRequest(url: URL(string: "http://\(host.ip):\(host.publicPort)\(path)")!)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            let (data, _) = try await URLSession.shared.data(for: request)
            return (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        }
        var token = try await post("/api/v1/auths/signup", ["name": "Admin", "email": "admin@\(host.name).example", "password": "password 123"])["token"] as? String
        if token == nil {
            token = try await post("/api/v1/auths/signin", ["email": "admin@\(host.name).example", "password": "password 123"])["token"] as? String
        }
        let answer = try await post("/v1/chat/completions", ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "hello from \(host.name)"]]], token: token)
        #expect(answer["object"] as? String == "chat.completion", "\(answer)")
    }

    @Test func statusAndUsageReportMatchEachAgentsBooks() async throws {
        for host in fleet.hosts { try await chat(on: host) }
        let (status, out, err) = try run("status", "--fleet", work + "/fleet", "-o", "json")
        #expect(status == 0, "\(err)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]], "\(out)")
        #expect(rows.count == fleet.hosts.count)
        #expect(rows.allSatisfy { $0["reachable"] as? Bool == true })
        #expect(Set(rows.compactMap { ($0["status"] as? [String: Any])?["instance"] as? String }) == Set(fleet.hosts.map(\.name)))

        let (reportStatus, reportOut, reportErr) = try run("usage", "report", "--fleet", work + "/fleet", "--by", "client", "-o", "json")
        #expect(reportStatus == 0, "\(reportErr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(reportOut.utf8)) as? [String: Any])
        #expect(report["complete"] as? Bool == true)
        let reportRows = try #require(report["rows"] as? [[String: Any]])
        // Each row equals that agent's own books, read directly through its admin API.
        for host in fleet.hosts {
            let knownHosts = try KnownHostsFile(stateDirectory: work + "/state")
            let session = try await SSHSession.connect(to: host.target, credentials: .keyFile(path: fleet.clientKey, passphrase: nil), knownHosts: knownHosts)
            let own = try await AdminAPIClient(tunnels: session, token: Secret(try fleet.token(host)), hostLabel: host.name).usage(
                from: report["from"] as! String, to: report["to"] as! String)
            await session.close()
            let row = try #require(reportRows.first { $0["key"] as? String == host.serverId })
            let totals = try #require(row["totals"] as? [String: Any])
            #expect(totals["raw_cost"] as? String == own.totals.rawCost.decimalString)
            #expect(totals["price"] as? String == own.totals.price.decimalString)
            #expect(totals["requests"] as? Int == own.totals.requests)
            #expect(own.totals.requests >= 1)
        }
        let html = try run("usage", "report", "--fleet", work + "/fleet", "-o", "html")
        #expect(html.0 == 0 && html.1.contains("<svg") && !html.1.contains("<script"))
    }

    @Test func aHostThatIsDownIsNamedAndTheOthersStillReported() throws {
        let down = try fleet.host(2)
        try fleet.script("sshd", "2", "stop")
        defer { try? fleet.script("sshd", "2", "start") }
        let (status, out, err) = try run("status", "--fleet", work + "/fleet")
        #expect(status == 2, "\(out)\(err)")
        #expect(out.contains(down.serverId) && out.contains("NO:"))
        #expect(err.contains("1 of 2 instances did not answer"))
        let (reportStatus, reportOut, _) = try run("usage", "report", "--fleet", work + "/fleet", "-o", "csv")
        #expect(reportStatus == 2)
        #expect(reportOut.contains("\(down.serverId),\(down.serverId),,,,,,,,,missing:"))
    }
}
