import Foundation

/// What `maictl bootstrap` settles before a client's first deploy: cloud-init has finished on the
/// new server (its Caddyfile, containers.conf and firewall are in place), and the client's domain
/// points at the server (otherwise Caddy can get no certificate and employees reach nothing).
public enum HostReadiness {
    /// cloud-init's own verdict, from `cloud-init status --wait --long`.
    public enum CloudInitState: Sendable, Equatable {
        case done
        /// cloud-init finished with errors; the lines it gave.
        case failed(String)
        /// Still running (or not started) when the wait ran out.
        case unfinished(String)
    }

    /// Waits on the server for cloud-init to finish, at most `seconds` (the server's own `timeout`,
    /// so an SSH session never hangs past it); the status is printed either way.
    public static func cloudInitWait(seconds: Int) -> RemoteCommand {
        RemoteCommand(["sh", "-c", "timeout \(max(1, seconds)) cloud-init status --wait --long >/dev/null 2>&1; cloud-init status --long"])
    }

    /// Reads what `cloudInitWait` printed: `status: done` (cloud-init's word for success), `error`,
    /// or anything else (`running`, `not run`: the wait ran out).
    public static func cloudInitState(exitStatus: Int32, output: String) -> CloudInitState {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let status = lines.first { $0.hasPrefix("status:") }.map { $0.dropFirst("status:".count).trimmingCharacters(in: .whitespaces) }
        let detail = lines.filter { !$0.isEmpty && !$0.hasPrefix("status:") }.joined(separator: "; ")
        switch status {
        case "done": return .done
        case "error": return .failed(detail.isEmpty ? "cloud-init reported an error" : detail)
        case nil:
            return .failed(exitStatus == 127 || output.contains("not found")
                           ? "cloud-init is not installed on the server (a Hetzner Debian image has it): is this the server maictl provisioned?"
                           : "cloud-init status said nothing readable (exit \(exitStatus)): \(output.prefix(300))")
        case let other?: return .unfinished("status: \(other)\(detail.isEmpty ? "" : "; \(detail)")")
        }
    }

    /// Why the client's domain does not lead to its server, with the DNS record to add; `nil` when
    /// it does. `addresses` is what the domain resolves to (empty: no record at all).
    public static func dnsProblem(domain: String, serverAddress: String, addresses: [String]) -> String? {
        if addresses.contains(serverAddress) { return nil }
        let record = serverAddress.contains(":") ? "AAAA" : "A"
        let add = "add the DNS record  \(domain). 300 IN \(record) \(serverAddress)  at the domain's DNS provider"
        if addresses.isEmpty { return "\(domain) does not resolve: \(add), wait for it to be visible, then run bootstrap again" }
        return "\(domain) resolves to \(addresses.joined(separator: ", ")), not to the server (\(serverAddress)): replace it — \(add)"
    }

    /// The addresses `name` resolves to here (getaddrinfo: /etc/hosts, then DNS), numeric, sorted.
    public static func resolve(_ name: String) async -> [String] {
        await Task.detached {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return [String]() }
            defer { freeaddrinfo(first) }
            var addresses = Set<String>()
            var next: UnsafeMutablePointer<addrinfo>? = first
            while let entry = next {
                var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                    addresses.insert(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                }
                next = entry.pointee.ai_next
            }
            return addresses.sorted()
        }.value
    }
}
