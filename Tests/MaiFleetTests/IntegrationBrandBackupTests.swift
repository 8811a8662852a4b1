import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MaiCore
import Testing
@testable import MaiFleet

/// `maictl brand push`, `maictl backup` and `maictl restore` — the real binary — on the test fleet:
/// the real browser sees the brand at one host and not the other; a malicious SVG never leaves
/// maictl; a backup of one instance restored onto another gives the same users, chats and books.
@Suite("Integration: branding, backup and restore on the test fleet", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root) or TESTFLEET_HOSTS_JSON"), .testFleet)
struct IntegrationBrandBackupTests {
    let fleet: IntegrationTestFleet
    let workspace: MaictlWorkspace

    init() throws {
        fleet = try #require(IntegrationTestFleet.current, "no test fleet")
        workspace = try MaictlWorkspace(fleet: fleet, name: "brand")
    }

    var fleetDirectory: String { workspace.work + "/fleet" }

    func run(_ arguments: String...) throws -> (Int32, String, String) {
        try workspace.run(arguments + ["--fleet", fleetDirectory])
    }

    func base(_ host: IntegrationTestFleet.Host) -> String { "http://\(host.ip):\(host.publicPort)" }

    func request(_ method: String, _ url: String, _ body: [String: Any]? = nil, token: String? = nil) async throws -> (Int, Any?) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try? JSONSerialization.jsonObject(with: data))
    }

    func writeBrand(_ slug: String, toml: String, files: [String: Data]) throws {
        let directory = fleetDirectory + "/clients/\(slug)/brand"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try toml.write(toFile: directory + "/brand.toml", atomically: true, encoding: .utf8)
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: directory + "/" + name)) }
    }

    /// Runs the browser half (pytest + Selenium + Chromium) against the fleet's hosts.
    func pytest(_ file: String, environment extra: [String: String]) throws -> (Int32, String) {
        let root = IntegrationTestFleet.repositoryRoot.path
        let python = ProcessInfo.processInfo.environment["MAI_PYTHON"]
            ?? [root + "/.venv/bin/python", "/usr/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }!
        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { $1 }
        let out = workspace.work + "/pytest-\(UUID().uuidString.prefix(6)).log"
        let status = try IntegrationTestFleet.spawnAndWait([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", root + "/tests/integration/" + file],
                                                           environment: environment, outputFile: out)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    @Test func brandPushedToOneClientShowsInTheBrowserThereAndNowhereElse() async throws {
        let (branded, other) = (fleet.hosts[0], fleet.hosts[1])
        let acme = IntegrationTestFleet.repositoryRoot.appendingPathComponent("fleet/clients/acme/brand")
        try writeBrand(branded.serverId, toml: """
            name = "Acme on \(branded.name)"
            logo = "logo.svg"
            favicon = "favicon.png"
            [light]
            primary = "#b3261e"
            on_primary = "#ffffff"
            """, files: ["logo.svg": try Data(contentsOf: acme.appendingPathComponent("logo.svg")),
                         "favicon.png": try Data(contentsOf: acme.appendingPathComponent("favicon.png"))])
        // A malicious SVG for the other client: refused by maictl, nothing sent.
        try writeBrand(other.serverId, toml: "name = \"Evil\"\nlogo = \"logo.png\"\n",
                       files: ["logo.png": Data(#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/><script>fetch('/api')</script></svg>"#.utf8)])

        let (refusedStatus, _, refusedErr) = try run("brand", "push", other.serverId)
        #expect(refusedStatus == 1)
        #expect(refusedErr.contains("clients/\(other.serverId)/brand/brand.toml:2: logo: SVG refused: it contains a <script> element"), "\(refusedErr)")
        #expect(refusedErr.contains("Nothing was sent"))

        let (status, out, err) = try run("brand", "push", branded.serverId)
        #expect(status == 0, "\(out)\n\(err)")
        #expect(out.contains("\(branded.serverId): branding"), "\(out)")

        let (_, brandedInfo) = try await request("GET", base(branded) + "/api/v1/branding")
        #expect((brandedInfo as? [String: Any])?["name"] as? String == "Acme on \(branded.name)")
        let (_, otherInfo) = try await request("GET", base(other) + "/api/v1/branding")
        #expect((otherInfo as? [String: Any])?["name"] as? String == "Test fleet \(other.name)")

        let (testStatus, log) = try pytest("test_branding_browser.py", environment: [
            "MAI_BRAND_URL": base(branded), "MAI_BRAND_OTHER_URL": base(other), "MAI_BRAND_NAME": "Acme on \(branded.name)",
            "MAI_BRAND_OTHER_NAME": "Test fleet \(other.name)", "MAI_BRAND_PRIMARY": "#b3261e",
        ])
        #expect(testStatus == 0, "\(log)")
    }

    /// Signs up (or in) an account on `host`; returns its token.
    func account(_ host: IntegrationTestFleet.Host, _ email: String) async throws -> String {
        let (_, signup) = try await request("POST", base(host) + "/api/v1/auths/signup", ["name": email, "email": email, "password": "password 123"])
        if let token = (signup as? [String: Any])?["token"] as? String { return token }
        let (_, signin) = try await request("POST", base(host) + "/api/v1/auths/signin", ["email": email, "password": "password 123"])
        return try #require((signin as? [String: Any])?["token"] as? String, "\(String(describing: signin))")
    }

    func chatTitles(_ host: IntegrationTestFleet.Host, token: String) async throws -> [String] {
        let (_, list) = try await request("GET", base(host) + "/api/v1/chats/list", token: token)
        return ((list as? [[String: Any]]) ?? []).compactMap { $0["title"] as? String }.sorted()
    }

    func books(_ slug: String) throws -> [String: Any] {
        let (status, out, err) = try run("usage", "report", "--only", slug, "--by", "user", "-o", "json")
        #expect(status == 0, "\(err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "\(out)")
        return (report["totals"] as? [String: Any]) ?? report
    }

    @Test func backupRestoredOntoAFreshInstanceGivesTheSameUsersChatsAndBooks() async throws {
        let (source, fresh) = (fleet.hosts[0], fleet.hosts[1])
        // Data on the source: an admin and an employee, chats, and answered (billed) generations.
        let admin = try await account(source, "boss@\(source.name).example")
        let (added, addedBody) = try await request("POST", base(source) + "/api/v1/auths/add",
                                                   ["name": "Emp", "email": "emp@\(source.name).example", "password": "password 123", "role": "user"], token: admin)
        #expect(added == 200, "\(String(describing: addedBody))")
        let employee = try await account(source, "emp@\(source.name).example")
        for index in 0..<3 {
            let (created, _) = try await request("POST", base(source) + "/api/v1/chats/new", ["chat": ["title": "Backup chat \(index)", "history": ["messages": [:], "currentId": NSNull()]]], token: admin)
            #expect(created == 200)
            let (answered, answer) = try await request("POST", base(source) + "/v1/chat/completions",
                                                       ["model": "openai/gpt-4o-mini", "messages": [["role": "user", "content": "hello \(index)"]]], token: admin)
            #expect(answered == 200, "\(String(describing: answer))")
        }
        _ = employee
        let titles = try await chatTitles(source, token: admin)
        #expect(titles.count == 3)
        let sourceBooks = try books(source.serverId)

        let (backupStatus, backupOut, backupErr) = try run("backup", source.serverId)
        #expect(backupStatus == 0, "\(backupOut)\n\(backupErr)")
        #expect(backupOut.contains("integrity ok"))
        let (_, listOut, _) = try workspace.run(["backup", "list", source.serverId, "-o", "json"])
        let records = try #require(try JSONSerialization.jsonObject(with: Data(listOut.utf8)) as? [[String: Any]], "\(listOut)")
        let id = try #require(records.first?["id"] as? String)

        // Without --yes nothing happens.
        let (refused, _, refusedErr) = try run("restore", fresh.serverId, "--source", source.serverId, "--from", id)
        #expect(refused == 64 && refusedErr.contains("--yes"))

        let (restoreStatus, restoreOut, restoreErr) = try run("restore", fresh.serverId, "--source", source.serverId, "--from", id, "--yes")
        #expect(restoreStatus == 0, "\(restoreOut)\n\(restoreErr)")
        #expect(restoreOut.contains("restored \(id)"), "\(restoreOut)")

        // The fresh instance now has the same users (their passwords work), chats and books.
        let restoredAdmin = try await account(fresh, "boss@\(source.name).example")
        #expect(try await chatTitles(fresh, token: restoredAdmin) == titles)
        let (_, users) = try await request("GET", base(fresh) + "/api/v1/users/", token: restoredAdmin)
        let emails = Set((((users as? [String: Any])?["users"] as? [[String: Any]]) ?? []).compactMap { $0["email"] as? String })
        #expect(emails == ["boss@\(source.name).example", "emp@\(source.name).example"], "\(String(describing: users))")
        let freshBooks = try books(fresh.serverId)
        for key in ["requests", "raw_cost", "price", "prompt_tokens", "completion_tokens"] {
            #expect("\(freshBooks[key] ?? "missing")" == "\(sourceBooks[key] ?? "missing")", "\(key): \(freshBooks) vs \(sourceBooks)")
        }
        // maictl kept a copy of what it replaced.
        let (_, freshList, _) = try workspace.run(["backup", "list", fresh.serverId, "-o", "json"])
        #expect(freshList.contains("pre-restore"))
    }
}
