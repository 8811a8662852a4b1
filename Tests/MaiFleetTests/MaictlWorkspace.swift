import Foundation
import MaiCore
@testable import MaiFleet

/// A directory with fleet files naming the test fleet's hosts, a state directory holding their
/// fleet tokens and pinned host keys, and a way to run the real `maictl` binary against them.
struct MaictlWorkspace: Sendable {
    let fleet: IntegrationTestFleet
    let work: String

    /// `fleetSettings` is appended to fleet.toml (e.g. a `[health]` table), `hetznerSettings` to its
    /// `[hetzner]` table. `addressed`: each client file names its host (`host = …`) and its key is
    /// pinned; otherwise the clients are as before provisioning — maictl learns address and key
    /// from `maictl provision`.
    init(fleet: IntegrationTestFleet, name: String, fleetSettings: String = "", hetznerSettings: String = "", addressed: Bool = true) throws {
        self.fleet = fleet
        self.work = fleet.dir + "/\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: work + "/fleet/clients", withIntermediateDirectories: true)
        try ("""
            [hetzner]
            ssh_keys = ["operator"]
            \(hetznerSettings)
            [agent]
            version = "0.1.0"
            [operator]
            email = "ops@example.com"

            """ + fleetSettings).write(toFile: work + "/fleet/fleet.toml", atomically: true, encoding: .utf8)
        let state = StateDirectory(url: URL(fileURLWithPath: work + "/state"))
        try state.prepare()
        let knownHosts = try KnownHostsFile(stateDirectory: state.url.path)
        // Pins as the hosts are now (a test may have re-keyed one).
        for host in try fleet.reloaded().hosts {
            try """
                name = "Test \(host.name)"
                domain = "\(host.name).test.example"
                admin_email = "admin@\(host.name).test.example"
                \(addressed ? "host = \"\(host.ip)\"" : "")
                """.write(toFile: work + "/fleet/clients/\(host.serverId).toml", atomically: true, encoding: .utf8)
            try state.writeSecret(Secret(try fleet.token(host)), name: StateDirectory.fleetTokenName, instance: host.serverId)
            if addressed { try knownHosts.pin(serverID: host.serverId, publicKey: host.pinnedKey) }
        }
    }

    var maictl: String {
        let agent = ProcessInfo.processInfo.environment["MAI_AGENT_BIN"] ?? ""
        return ProcessInfo.processInfo.environment["MAICTL_BIN"] ?? (agent as NSString).deletingLastPathComponent + "/maictl"
    }

    /// Runs maictl; returns (exit status, stdout, stderr).
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Int32, String, String) {
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["MAICTL_STATE_DIR"] = work + "/state"
        environment["MAICTL_SSH_KEY"] = fleet.clientKey
        environment["SSH_AUTH_SOCK"] = nil
        let out = work + "/out-\(UUID().uuidString.prefix(6))"
        let wrapper = ["/bin/sh", "-c", "exec \"$0\" \"$@\" 2>\"\(out).err\"", maictl] + arguments
        let status = try IntegrationTestFleet.spawnAndWait(wrapper, environment: environment, outputFile: out)
        return (status, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: out + ".err", encoding: .utf8)) ?? "")
    }
}
