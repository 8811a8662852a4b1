import Crypto
import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite struct CloudInitTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("templates", isDirectory: true)

    static func instance(domain: String = "chat.acme.example") -> Instance {
        var defaults = FleetDefaults()
        defaults.hetzner.sshKeys = ["operator"]
        defaults.agent.version = "0.1.0"
        return Instance(client: ClientSpec(slug: "acme", name: "Acme GmbH", domain: domain, adminEmail: "admin@acme.example"), defaults: defaults)
    }

    @Test func userDataCarriesTheHostKeyPodmanCaddyAndTheDataDirectory() throws {
        let key = GeneratedHostKey(comment: "maictl-acme")
        let text = try CloudInit(directory: Self.templates).userData(for: Self.instance(), operatorEmail: "ops@example.com", hostKey: key)
        #expect(text.hasPrefix("#cloud-config\n"))
        #expect(text.contains("  ed25519_public: \(key.publicKey.openSSHLine)\n"))
        // The private key is in the block scalar, indented under ed25519_private.
        let privateLines = key.privateKeyPEM.value.split(separator: "\n").map { "    " + $0 }
        #expect(text.contains("  ed25519_private: |\n" + privateLines.joined(separator: "\n") + "\n"))
        #expect(text.contains("ssh_genkeytypes: []"))
        #expect(text.contains("  - podman\n"))
        #expect(text.contains("  - caddy\n"))
        #expect(text.contains("/srv/mai/data"))
        #expect(text.contains("\"10001\""))
        // The Caddyfile is embedded with the client's domain and the agent's port.
        #expect(text.contains("    content: |\n      # Rendered by `maictl provision` for acme"))
        #expect(text.contains("      chat.acme.example {\n"))
        #expect(text.contains("      \timport mai_agent\n"))
        #expect(text.contains("      import /etc/caddy/mai-agent.caddy\n"))
        #expect(text.contains("  - curl\n"), "deploys read Caddy's upstream counters with curl")
        // The two-slot snippet deploy keeps, byte for byte (so the first deploy need not reload Caddy).
        let snippet = ProxyConfig.snippet().split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "      " + $0 }.joined(separator: "\n")
        #expect(text.contains("  - path: /etc/caddy/mai-agent.caddy\n    owner: root:root\n    permissions: \"0644\"\n    content: |\n" + snippet))
        #expect(text.contains("      \temail ops@example.com\n"))
        #expect(text.utf8.count < 32 * 1024)
    }

    @Test func userDataHasNoSecretBesidesTheHostKey() throws {
        let key = GeneratedHostKey()
        let text = try CloudInit(directory: Self.templates).userData(for: Self.instance(), operatorEmail: "ops@example.com", hostKey: key)
        #expect(text.components(separatedBy: "PRIVATE KEY-----").count == 3, "one private key: BEGIN and END")
        for word in ["HCLOUD", "OPENROUTER", "MAI_FLEET_TOKEN", "WEBUI_SECRET_KEY", "password", "sk-or-"] {
            #expect(!text.localizedCaseInsensitiveContains(word), "user data mentions \(word)")
        }
    }

    @Test func caddyfileServesTheDomainOverTheAgent() throws {
        let text = try CloudInit(directory: Self.templates).caddyfile(for: Self.instance(domain: "ai.globex.example"), operatorEmail: "ops@example.com")
        #expect(text.contains("ai.globex.example {"))
        #expect(text.contains("import /etc/caddy/mai-agent.caddy\n"))
        #expect(text.contains("\timport mai_agent\n"), "the site proxies through the snippet deploy keeps")
        #expect(!text.contains("chat.acme.example"))
    }

    @Test func aMissingTemplateSaysWhereItLooked() {
        let error = #expect(throws: ProvisionError.self) {
            _ = try CloudInit(directory: URL(fileURLWithPath: "/nonexistent")).userData(for: Self.instance(), operatorEmail: "o@e.x", hostKey: GeneratedHostKey())
        }
        #expect(error?.description.contains("/nonexistent/cloud-init.yaml.mustache") == true)
        #expect(error?.description.contains("--templates") == true)
    }

    /// The private key file is what OpenSSH reads: ssh-keygen derives the same public key from it.
    @Test func generatedKeyIsAValidOpenSSHKey() throws {
        let key = GeneratedHostKey(comment: "maictl-test")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostkey-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ssh_host_ed25519_key")
        try Data(key.privateKeyPEM.value.utf8).write(to: file)
        chmod(file.path, 0o600)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        process.arguments = ["-y", "-f", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let derived = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(HostKey(openSSHLine: derived) == key.publicKey)
        #expect("\(key.privateKeyPEM)" == "[REDACTED]")
    }
}
