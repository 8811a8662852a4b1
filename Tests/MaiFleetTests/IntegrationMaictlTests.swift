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

    /// Every command, walked from `maictl --help` down to the leaves, answers `--help` with exit 0
    /// and an example.
    @Test func everyCommandsHelpHasAnExample() throws {
        func subcommands(_ help: String) -> [String] {
            guard let start = help.range(of: "\nSUBCOMMANDS:\n") else { return [] }
            // The list ends at the first empty line ("See 'maictl help <subcommand>'…" follows).
            return help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
                .prefix { !$0.isEmpty }
                .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
                .compactMap { $0.split(separator: " ").first.map(String.init) }
                .filter { $0 != "help" && $0.first?.isLetter == true }
        }
        var pending: [[String]] = [[]]
        var leaves: [String] = []
        while let path = pending.popLast() {
            guard path.count <= 3, leaves.count < 200 else {
                Issue.record("the command tree does not end: \(path)")
                return
            }
            let (status, out, err) = try workspace.run(path + ["--help"])
            #expect(status == 0, "maictl \(path.joined(separator: " ")) --help: \(out)\n\(err)")
            let children = subcommands(out)
            if children.isEmpty {
                leaves.append(path.joined(separator: " "))
                #expect(out.contains("Example"), "maictl \(path.joined(separator: " ")) --help has no example:\n\(out)")
            } else {
                pending += children.map { path + [$0] }
            }
        }
        #expect(leaves.count >= 25, "\(leaves)")
        #expect(leaves.contains("health") && leaves.contains("usage report") && leaves.contains("hosts pin"), "\(leaves)")
    }

    @Test func statusAndUsageReportMatchEachAgentsBooks() async throws {
        for host in fleet.hosts { try await chat(on: host) }
        let (status, out, err) = try run("status", "--fleet", work + "/fleet", "-o", "json")
        #expect(status == 0, "\(out)\n\(err)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]], "\(out)")
        #expect(rows.count == fleet.hosts.count)
        #expect(rows.allSatisfy { $0["reachable"] as? Bool == true })
        #expect(Set(rows.compactMap { ($0["status"] as? [String: Any])?["instance"] as? String }) == Set(fleet.hosts.map(\.name)))

        let (reportStatus, reportOut, reportErr) = try run("usage", "report", "--fleet", work + "/fleet", "--by", "client", "-o", "json")
        #expect(reportStatus == 0, "\(reportOut)\n\(reportErr)")
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
        #expect(html.0 == 0 && html.1.contains("<svg") && !html.1.contains("<script"), "\(html.1.prefix(2000))\n\(html.2)")
    }

    @Test func aHostThatIsDownIsNamedAndTheOthersStillReported() throws {
        let down = try fleet.host(2)
        try fleet.script("sshd", "2", "stop")
        defer { try? fleet.script("sshd", "2", "start") }
        let (status, out, err) = try run("status", "--fleet", work + "/fleet")
        #expect(status == 2, "\(out)\(err)")
        #expect(out.contains(down.serverId) && out.contains("NO:"))
        #expect(err.contains("1 of \(fleet.hosts.count) instances did not answer"))
        for host in fleet.hosts where host.index != 2 { #expect(out.contains(host.serverId) && out.contains(host.ip)) }
        let (reportStatus, reportOut, reportErr) = try run("usage", "report", "--fleet", work + "/fleet", "-o", "csv")
        #expect(reportStatus == 2, "\(reportOut)\n\(reportErr)")
        #expect(reportOut.contains("\(down.serverId),\(down.serverId),,,,,,,,,missing:"))
    }

    /// Runs maictl on a pseudo-terminal (util-linux `script`), feeding `input` to the terminal.
    func runOnTerminal(_ arguments: [String], input: String = "", environment extra: [String: String] = [:]) throws -> (Int32, String) {
        let command = ([workspace.maictl] + arguments).map { "'\($0)'" }.joined(separator: " ")
        let inputFile = work + "/tty-in-\(UUID().uuidString.prefix(6))"
        try input.write(toFile: inputFile, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["MAICTL_STATE_DIR"] = work + "/state"
        environment["MAICTL_SSH_KEY"] = fleet.clientKey
        environment["SSH_AUTH_SOCK"] = nil
        environment["TERM"] = "xterm"
        for (key, value) in extra { environment[key] = value }
        let out = work + "/tty-out-\(UUID().uuidString.prefix(6))"
        // `script` copies its stdin to the terminal; a short sleep lets the prompt appear first.
        let status = try IntegrationTestFleet.spawnAndWait(
            ["/bin/sh", "-c", "(sleep 1; cat \"$0\"; sleep 2) | script -qec \"$1\" /dev/null", inputFile, command],
            environment: environment, outputFile: out)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
    }

    @Test func progressLinesAppearOnATerminalOnlyAndResultsStayOnStdout() throws {
        let plain = try run("status", "--fleet", work + "/fleet", "-o", "json")
        #expect(plain.0 == 0, "\(plain.1)\n\(plain.2)")
        #expect(!plain.2.contains("done —"), "no progress lines without a terminal: \(plain.2)")
        let (status, screen) = try runOnTerminal(["status", "--fleet", work + "/fleet"])
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("maictl status: \(fleet.hosts.count)/\(fleet.hosts.count) done"), "\(screen)")
        for host in fleet.hosts { #expect(screen.contains(host.serverId)) }
    }

    @Test func anEncryptedKeyAsksForItsPassphraseOnTheTerminalAndNeverHangsWithoutOne() throws {
        let key = work + "/operator_encrypted"
        let keygen = try IntegrationTestFleet.spawnAndWait(
            ["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "open sesame", "-f", key], environment: [:])
        try #require(keygen == 0)
        // The host accepts this key too (authorized_keys is the fleet's one file).
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8)
        let authorized = fleet.clientKey + ".pub"
        let original = try String(contentsOfFile: authorized, encoding: .utf8)
        try (original + publicKey).write(toFile: authorized, atomically: true, encoding: .utf8)
        defer { try? original.write(toFile: authorized, atomically: true, encoding: .utf8) }
        let host = try fleet.host(1)

        // No terminal, no MAICTL_SSH_PASSPHRASE: a clear error at once, not a hang.
        var environment = ProcessInfo.processInfo.environment
        environment["MAICTL_STATE_DIR"] = work + "/state"
        environment["MAICTL_SSH_KEY"] = key
        environment["SSH_AUTH_SOCK"] = nil
        let out = work + "/enc-out"
        let cron = try IntegrationTestFleet.spawnAndWait(
            ["/usr/bin/setsid", "-w", workspace.maictl, "status", "--fleet", work + "/fleet", "--only", host.serverId],
            environment: environment, outputFile: out)
        let said = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(cron == 1, "\(said)")
        #expect(said.contains("is encrypted and no passphrase was given: set MAICTL_SSH_PASSPHRASE"), "\(said)")

        // On a terminal: asked once, echo off, and the command works.
        let (status, screen) = try runOnTerminal(["status", "--fleet", work + "/fleet", "--only", host.serverId],
                                                 input: "open sesame\n", environment: ["MAICTL_SSH_KEY": key])
        #expect(status == 0, "\(screen)")
        #expect(screen.contains("Passphrase for \(key):"))
        #expect(!screen.contains("open sesame"), "the passphrase must not be echoed")
        #expect(screen.contains(host.ip))
    }

    @Test func hostsPinReplacesAChangedKeyOnlyWithTheVerifiedFingerprint() throws {
        let before = try fleet.host(3)
        try fleet.script("sshd", "3", "rekey")
        let after = try fleet.host(3)
        #expect(after.pinnedKey != before.pinnedKey)
        let refused = try run("status", "--fleet", work + "/fleet", "--only", after.serverId)
        #expect(refused.0 == 1, "\(refused.1)\n\(refused.2)")
        #expect(refused.1.contains("HOST KEY CHANGED") && refused.1.contains("maictl hosts pin \(after.serverId) --fingerprint"), "\(refused)")

        let wrong = try run("hosts", "pin", after.serverId, "--fleet", work + "/fleet", "--fingerprint", before.pinnedKey.fingerprint)
        #expect(wrong.0 == 1, "\(wrong.1)\n\(wrong.2)")
        #expect(wrong.2.contains("nothing was pinned") && wrong.2.contains(after.pinnedKey.fingerprint), "\(wrong.2)")

        let pinned = try run("hosts", "pin", after.serverId, "--fleet", work + "/fleet", "--fingerprint", after.pinnedKey.fingerprint)
        #expect(pinned.0 == 0, "\(pinned.1)\n\(pinned.2)")
        #expect(pinned.2.contains("replacing") && pinned.2.contains(before.pinnedKey.fingerprint), "\(pinned.2)")
        let reached = try run("status", "--fleet", work + "/fleet", "--only", after.serverId)
        #expect(reached.0 == 0, "\(reached.1)\n\(reached.2)")

        let listed = try run("hosts", "list", "--fleet", work + "/fleet", "-o", "json")
        #expect(listed.1.contains(after.pinnedKey.fingerprint) && !listed.1.contains(before.pinnedKey.fingerprint))

        let forgot = try run("hosts", "forget", after.serverId, "--fleet", work + "/fleet")
        #expect(forgot.0 == 0, "\(forgot.1)\n\(forgot.2)")
        let unknown = try run("status", "--fleet", work + "/fleet", "--only", after.serverId)
        #expect(unknown.0 == 1 && unknown.1.contains("no host key is pinned"), "\(unknown)")
        let forgotAgain = try run("hosts", "forget", after.serverId, "--fleet", work + "/fleet")
        #expect(forgotAgain.0 == 1, "\(forgotAgain.1)\n\(forgotAgain.2)")
        // Leave the fleet as the other tests expect it.
        let repinned = try run("hosts", "pin", after.serverId, "--fleet", work + "/fleet", "--fingerprint", after.pinnedKey.fingerprint)
        #expect(repinned.0 == 0, "\(repinned.1)\n\(repinned.2)")
    }
}
