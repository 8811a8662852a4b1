import Foundation
import MaiCore
import Mustache

/// Renders a new server's cloud-init user data from `templates/cloud-init.yaml.mustache` and the
/// Caddyfile from `templates/Caddyfile.mustache`. The only secret in it is the server's own host
/// key; tokens, API keys and passwords never go into user data (Hetzner keeps it readable through
/// the metadata service and the API).
public struct CloudInit: Sendable {
    /// The templates directory (`templates/` of the repository, or `--templates`).
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// Names of the two files read.
    public static let cloudInitTemplate = "cloud-init.yaml.mustache"
    public static let caddyfileTemplate = "Caddyfile.mustache"

    /// Where the agent's data volume lives on the host (mounted at `/data` in the container).
    public static let dataDirectory = "/srv/mai/data"
    /// The container user's uid and gid (Dockerfile: `useradd --uid 10001`).
    public static let agentUID = 10001

    /// The Caddyfile for `instance`: automatic HTTPS for its domain, the agent through the
    /// `mai_agent` snippet deploy keeps in `/etc/caddy/mai-agent.caddy`.
    public func caddyfile(for instance: Instance, operatorEmail: String) throws(ProvisionError) -> String {
        try template(Self.caddyfileTemplate).render([
            "slug": instance.slug,
            "domain": instance.domain,
            "operator_email": operatorEmail,
            "agent_port": String(instance.agentPort),
        ] as [String: Any])
    }

    /// The user data for `instance`, with `hostKey` as the server's only SSH host key.
    public func userData(for instance: Instance, operatorEmail: String, hostKey: GeneratedHostKey) throws(ProvisionError) -> String {
        let userDataTemplate = try template(Self.cloudInitTemplate)
        let caddyfile = try caddyfile(for: instance, operatorEmail: operatorEmail)
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
        let file = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: file.path), let text = String(data: data, encoding: .utf8) else {
            throw .missingTemplate(path: file.path)
        }
        do {
            return try MustacheTemplate(string: text)
        } catch {
            throw .invalidTemplate(path: file.path, reason: "\(error)")
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
