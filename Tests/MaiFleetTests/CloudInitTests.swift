import Crypto
import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite struct CloudInitTests {
    static func instance(domain: String = "chat.acme.example") -> Instance {
        var defaults = FleetDefaults()
        defaults.hetzner.sshKeys = ["operator"]
        defaults.agent.version = "0.1.0"
        return Instance(client: ClientSpec(slug: "acme", name: "Acme GmbH", domain: domain, adminEmail: "admin@acme.example"), defaults: defaults)
    }

    @Test func userDataCarriesTheHostKeyPodmanCaddyAndTheDataDirectory() throws {
        let key = GeneratedHostKey(comment: "maictl-acme")
        let text = try CloudInit().userData(for: Self.instance(), operatorEmail: "ops@example.com", hostKey: key)
        #expect(text.hasPrefix("#cloud-config\n"))
        #expect(text.contains("  ed25519_public: \(key.publicKey.openSSHLine)\n"))
        // The private key is in the block scalar, indented under ed25519_private.
        let privateLines = key.privateKeyPEM.value.split(separator: "\n").map { "    " + $0 }
        #expect(text.contains("  ed25519_private: |\n" + privateLines.joined(separator: "\n") + "\n"))
        #expect(text.contains("ssh_genkeytypes: [ed25519]"))
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
        // Only root may reach the metadata service (which hands out this very file).
        #expect(text.contains("  - path: /etc/nftables.conf\n"))
        #expect(text.contains("      \t\tip daddr 169.254.169.254 meta skuid != 0 reject\n"))
        #expect(text.contains("  - [nft, -f, /etc/nftables.conf]\n") && text.contains("  - nftables\n"))
    }

    @Test func userDataHasNoSecretBesidesTheHostKey() throws {
        let key = GeneratedHostKey()
        let text = try CloudInit().userData(for: Self.instance(), operatorEmail: "ops@example.com", hostKey: key)
        #expect(text.components(separatedBy: "PRIVATE KEY-----").count == 3, "one private key: BEGIN and END")
        for word in ["HCLOUD", "OPENROUTER", "MAI_FLEET_TOKEN", "WEBUI_SECRET_KEY", "password", "sk-or-"] {
            #expect(!text.localizedCaseInsensitiveContains(word), "user data mentions \(word)")
        }
    }

    @Test func caddyfileServesTheDomainOverTheAgent() throws {
        let text = try CloudInit().caddyfile(for: Self.instance(domain: "ai.globex.example"), operatorEmail: "ops@example.com")
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

    /// What cloud-init on a new server checks first: Debian's `cloud-init schema` accepts the
    /// rendered user data (an empty `ssh_genkeytypes`, as once written, it rejects).
    @Test func cloudInitsOwnSchemaAcceptsTheUserData() throws {
        let text = try CloudInit().userData(for: Self.instance(), operatorEmail: "ops@example.com", hostKey: GeneratedHostKey())
        let result = try Self.schemaCheck(text)
        #expect(result.status == 0, "cloud-init schema: \(result.output)")
        let broken = try Self.schemaCheck(text.replacingOccurrences(of: "ssh_genkeytypes: [ed25519]", with: "ssh_genkeytypes: []"))
        #expect(broken.status != 0, "the check must be able to fail: \(broken.output)")
    }

    /// An operator's own templates replace the built-in ones.
    @Test func anOverrideDirectoryReplacesTheBuiltInTemplates() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "#cloud-config\nhostname: {{{slug}}}\nwrite_files:\n  - path: /etc/caddy/Caddyfile\n    content: |\n{{{caddyfile}}}\n"
            .write(to: directory.appendingPathComponent(CloudInit.cloudInitTemplate), atomically: true, encoding: .utf8)
        try "{{{site_address}}} {\n\trespond \"own\"\n}\n".write(to: directory.appendingPathComponent(CloudInit.caddyfileTemplate), atomically: true, encoding: .utf8)
        let text = try CloudInit(directory: directory).userData(for: Self.instance(), operatorEmail: "o@e.x", hostKey: GeneratedHostKey())
        #expect(text == "#cloud-config\nhostname: acme\nwrite_files:\n  - path: /etc/caddy/Caddyfile\n    content: |\n      chat.acme.example {\n      \trespond \"own\"\n      }\n", "\(text)")
    }

    /// The test fleet's only difference: Caddy's site address (no DNS, no ACME there).
    @Test func aSiteAddressReplacesOnlyTheDomainLine() throws {
        let production = try CloudInit().caddyfile(for: Self.instance(), operatorEmail: "ops@example.com")
        let rig = try CloudInit().caddyfile(for: Self.instance(), operatorEmail: "ops@example.com", siteAddress: "http://198.51.100.11:8080")
        #expect(rig == production.replacingOccurrences(of: "\nchat.acme.example {\n", with: "\nhttp://198.51.100.11:8080 {\n"), "\(rig)")
        #expect(rig != production)
    }

    static func schemaCheck(_ userData: String) throws -> (status: Int32, output: String) {
        let tool = "/usr/bin/cloud-init"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            Issue.record("\(tool) is missing: run scripts/install-deps.sh test (make test does)")
            return (-1, "")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("user-data-\(UUID().uuidString).yaml")
        try userData.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["schema", "--config-file", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
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
