import Foundation
import MaiCore
import MaiSimulators
import Testing
@testable import MaiFleet

/// The real `maictl provision` against the Hetzner simulator, whose servers are the test fleet's
/// hosts; the test then plays cloud-init (installs the host key from the user data into the host's
/// sshd) and `maictl status` reaches every instance through the recorded address and the key pinned
/// under the server id — no `host = …` in the client files, no trust on first use.
@Suite("Integration: provision on the simulated Hetzner, then SSH", .tags(.integration), .serialized,
       .enabled(if: IntegrationTestFleet.enabled, "set MAI_INTEGRATION=1 (as root) or TESTFLEET_HOSTS_JSON"), .testFleet)
struct IntegrationProvisionTests {
    @Test func provisionedServersAreReachedWithTheirPinnedKeys() async throws {
        let fleet = try #require(IntegrationTestFleet.current, "no test fleet")
        let hosts = fleet.hosts.sorted { $0.serverId < $1.serverId }
        let workspace = try MaictlWorkspace(fleet: fleet, name: "provision", hetznerSettings: #"firewall_ssh_sources = ["198.51.100.0/24"]"#,
                                            addressed: false)
        let work = workspace.work

        var configuration = HetznerConfiguration()
        configuration.tokens = ["integration-token"]
        configuration.createDuration = .milliseconds(800)
        configuration.hostPool = hosts.map(\.ip)
        let simulator = HetznerSimulator(configuration: configuration)
        // The hosts' own keys, put back afterwards so other suites find the fleet as it was.
        let saved = try hosts.map { host in (host, try Data(contentsOf: URL(fileURLWithPath: keyPath(fleet, host)))) }

        try await SimulatorServer.withRunning(simulator.buildRouter()) { base in
            let environment = ["HCLOUD_ENDPOINT": base + "/v1", "HCLOUD_TOKEN": "integration-token"]
            // The templates built into maictl, from a directory without any.
            let (status, out, err) = try workspace.run(["provision", "--all", "--parallel", "1", "--fleet", work + "/fleet", "-o", "json"],
                                                       environment: environment)
            #expect(status == 0, "\(out)\n\(err)")
            let rows = try #require((try? JSONSerialization.jsonObject(with: Data(out.utf8))) as? [[String: Any]], "\(out)\n\(err)")
            #expect(rows.map { $0["result"] as? String } == hosts.map { _ in "created" })
            #expect(err.contains("create_server 100%"))

            defer {
                for (host, key) in saved {
                    try? fleet.script("sshd", String(host.index), "stop")
                    try? key.write(to: URL(fileURLWithPath: keyPath(fleet, host)))
                    try? fleet.script("sshd", String(host.index), "start")
                }
            }
            // cloud-init, played by the test: the host key from the user data becomes the host's key.
            for host in hosts {
                let userData = try #require(simulator.userData(serverName: host.serverId))
                try installHostKey(from: userData, fleet: fleet, host: host)
            }

            let (statusCode, statusOut, statusErr) = try workspace.run(["status", "--fleet", work + "/fleet", "-o", "json"], environment: environment)
            #expect(statusCode == 0, "\(statusErr)")
            let statusRows = try #require(try JSONSerialization.jsonObject(with: Data(statusOut.utf8)) as? [[String: Any]], "\(statusOut)")
            #expect(statusRows.count == hosts.count)
            #expect(statusRows.allSatisfy { $0["reachable"] as? Bool == true }, "\(statusRows)")

            // Running provision again creates nothing.
            let before = simulator.requestLog.count
            let again = try workspace.run(["provision", "--all", "--fleet", work + "/fleet"], environment: environment)
            #expect(again.0 == 0, "\(again.1)\n\(again.2)")
            #expect(simulator.requestLog.dropFirst(before).allSatisfy { $0.hasPrefix("GET ") })
        }
    }

    func keyPath(_ fleet: IntegrationTestFleet, _ host: IntegrationTestFleet.Host) -> String {
        fleet.dir + "/h\(host.index)/ssh_host_ed25519_key"
    }

    /// Writes the `ed25519_private` block of `userData` as the host's sshd key and restarts sshd.
    func installHostKey(from userData: String, fleet: IntegrationTestFleet, host: IntegrationTestFleet.Host) throws {
        let lines = userData.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.contains("-----BEGIN OPENSSH PRIVATE KEY-----") })
        let end = try #require(lines.firstIndex { $0.contains("-----END OPENSSH PRIVATE KEY-----") })
        let pem = lines[start...end].map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n") + "\n"
        let path = keyPath(fleet, host)
        try fleet.script("sshd", String(host.index), "stop")
        try Data(pem.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        try fleet.script("sshd", String(host.index), "start")
    }
}
