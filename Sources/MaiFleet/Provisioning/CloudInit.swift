import Foundation
import MaiCore
import Mustache

/// Renders a new server's cloud-init user data and its Caddyfile from the templates built into
/// maictl (`BuiltInTemplates`), or from an operator's override directory. The only secret in it is
/// the server's own host key; tokens, API keys and passwords never go into user data (Hetzner keeps
/// it readable through the metadata service and the API).
public struct CloudInit: Sendable {
    /// The override directory (`--templates DIR`); nil uses the built-in templates.
    public let directory: URL?

    public init(directory: URL? = nil) {
        self.directory = directory
    }

    /// Names of the two templates (in an override directory).
    public static let cloudInitTemplate = "cloud-init.yaml.mustache"
    public static let caddyfileTemplate = "Caddyfile.mustache"

    /// Where the agent's data volume lives on the host (mounted at `/data` in the container).
    public static let dataDirectory = "/srv/mai/data"
    /// The container user's uid and gid (Dockerfile: `useradd --uid 10001`).
    public static let agentUID = 10001

    /// The Caddyfile for `instance`: automatic HTTPS for its domain, the agent through the
    /// `mai_agent` snippet deploy keeps in `/etc/caddy/mai-agent.caddy`.
    ///
    /// `siteAddress` replaces the domain as Caddy's site address: the test fleet, which has neither
    /// DNS nor ACME, serves `http://<host address>:8080`; every other line is the production one.
    public func caddyfile(for instance: Instance, operatorEmail: String, siteAddress: String? = nil) throws(ProvisionError) -> String {
        try template(Self.caddyfileTemplate).render([
            "slug": instance.slug,
            "domain": instance.domain,
            "site_address": siteAddress ?? instance.domain,
            "operator_email": operatorEmail,
            "agent_port": String(instance.agentPort),
        ] as [String: Any])
    }

    /// The user data for `instance`, with `hostKey` as the server's only SSH host key.
    /// `siteAddress`: see `caddyfile(for:operatorEmail:siteAddress:)`.
    public func userData(for instance: Instance, operatorEmail: String, hostKey: GeneratedHostKey,
                         siteAddress: String? = nil) throws(ProvisionError) -> String {
        let userDataTemplate = try template(Self.cloudInitTemplate)
        let caddyfile = try caddyfile(for: instance, operatorEmail: operatorEmail, siteAddress: siteAddress)
        let text = userDataTemplate.render([
            "slug": instance.slug,
            "domain": instance.domain,
            "host_key_private": Self.indent(hostKey.privateKeyPEM.value, by: 4),
            "host_key_public": hostKey.publicKey.openSSHLine,
            "caddyfile": Self.indent(caddyfile, by: 6),
            // The snippet deploy keeps (both slots), so the first deploy need not reload Caddy.
            "proxy_snippet": Self.indent(ProxyConfig.snippet(), by: 6),
            "data_dir": Self.dataDirectory,
            "agent_uid": String(Self.agentUID),
            "agent_port": String(instance.agentPort),
        ] as [String: Any])
        guard text.utf8.count <= 32 * 1024 else {
            throw .userDataTooLarge(bytes: text.utf8.count)
        }
        return text
    }

    private func template(_ name: String) throws(ProvisionError) -> MustacheTemplate {
        let text: String
        let origin: String
        if let directory {
            let file = directory.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: file.path), let read = String(data: data, encoding: .utf8) else {
                throw .missingTemplate(path: file.path)
            }
            (text, origin) = (read, file.path)
        } else {
            (text, origin) = (name == Self.caddyfileTemplate ? BuiltInTemplates.caddyfile : BuiltInTemplates.cloudInit, "built-in \(name)")
        }
        do {
            return try MustacheTemplate(string: text)
        } catch {
            throw .invalidTemplate(path: origin, reason: "\(error)")
        }
    }

    /// Each non-empty line of `text` indented by `spaces` (a YAML block scalar's body).
    static func indent(_ text: String, by spaces: Int) -> String {
        let pad = String(repeating: " ", count: spaces)
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : pad + $0 }
            .joined(separator: "\n")
            .trimmingCharacters(in: .newlines)
    }
}
