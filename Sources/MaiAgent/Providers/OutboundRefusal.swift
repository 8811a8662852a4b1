/// An address the agent will not call, and why; the message tells the admin what to do.
struct OutboundRefusal: Error, Sendable, Equatable {
    var host: String
    /// The offending resolved address, when there was one.
    var address: String?
    /// `loopback`, `private`, `link-local (cloud metadata)`, `unresolvable`, …
    var kind: String

    var message: String {
        let target = String(host.prefix(100))
        if kind == "unresolvable" { return "The address \(target) cannot be resolved; check the host name." }
        guard let address else { return "\(target) is \(kind); use an http:// or https:// address." }
        let resolved = address == target ? target : "\(target) (\(address))"
        return "\(resolved) is a \(kind) address. The agent does not call loopback, private, link-local, cloud-metadata or "
            + "other non-public addresses set in the web app. If this provider really runs on the server's own network, "
            + "the operator can allow it with ALLOW_PRIVATE_PROVIDER_URLS in the agent's environment."
    }
}
