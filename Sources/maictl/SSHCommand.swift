import ArgumentParser
import Foundation
import MaiFleet

/// `maictl ssh <client>`: an interactive shell on the host through the system's OpenSSH client,
/// with maictl's pinned host key (a known_hosts file written for this one connection, checked
/// strictly) and maictl's identity (MAICTL_SSH_KEY, else ssh-agent).
struct SSHCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh",
        abstract: "Open a shell on a client's host (system ssh, maictl's pinned host key and identity).",
        discussion: """
            Extra arguments after -- go to ssh (e.g. a command). Exits with ssh's status.

            Example: maictl ssh acme -- df -h /srv
            """)

    @OptionGroup var host: SingleHost
    @Argument(parsing: .postTerminator, help: "Arguments passed on to ssh.") var extra: [String] = []

    func run() throws {
        let (instance, connector) = try host.instance()
        let target = try connector.target(for: instance)
        guard let key = try connector.knownHosts.key(for: target.serverID) else {
            Stderr.write("maictl: no pinned host key for \(instance.slug): provision it first (or pin its key), so the connection is verified.")
            throw ExitCode(1)
        }
        let knownHosts = connector.state.url.appendingPathComponent("ssh-known-hosts-\(instance.slug)").path
        let line = "\(target.serverID) \(key.openSSHLine)\n"
        guard FileManager.default.createFile(atPath: knownHosts, contents: Data(line.utf8), attributes: [.posixPermissions: 0o600]) else {
            Stderr.write("maictl: cannot write \(knownHosts)")
            throw ExitCode(1)
        }
        var argv = ["ssh", "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "GlobalKnownHostsFile=/dev/null",
                    "-o", "StrictHostKeyChecking=yes", "-o", "HostKeyAlias=\(target.serverID)", "-p", String(target.port)]
        if case .keyFile(let path, _) = connector.credentials { argv += ["-i", path, "-o", "IdentitiesOnly=yes"] }
        argv += ["\(target.user)@\(target.host)"] + extra
        let cArguments = argv.map { strdup($0) } + [nil]
        execvp("ssh", cArguments)
        Stderr.write("maictl: cannot run ssh: \(String(cString: strerror(errno))). Install openssh-client.")
        throw ExitCode(1)
    }
}
