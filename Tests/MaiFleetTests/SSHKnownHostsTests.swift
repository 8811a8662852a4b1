import Foundation
import MaiCore
import Testing
@testable import MaiFleet

/// Keys made with ssh-keygen; fingerprints are what `ssh-keygen -lf` printed for them.
enum SampleKeys {
    static let ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO7+0WbWcYDlI6VQhjKLCLNHJcnplgyZRFTDW1PDvQbi"
    static let ed25519Fingerprint = "SHA256:V1Ne+HmgQna4svN1yqGYnpplySmcNubak7wr37rGzSI"
    static let ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGFUcGoVPeG1Te39q/qqiRoeWwgdS+IbusB8i9Etz5Jdef2yN44bJa3Ba4Yv8HB1U4Qb8bNfiOri52qLt1Z9s/U="
    static let ecdsaFingerprint = "SHA256:N27xiy8zEFWDKkT8Nzc+WPXWq4KWUhlgo0Kd1kP7Cfg"
    static let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCWvwadO8Wf9tEKJe8J0kpzIYBtsexStPXtgaSb3P4mw2cGvYL5XkSq6AZoz6tWZ7IHqy0I6n/DELzbSXY4gJUtmb1ZJoTVJiL8u7zYCMNP0xozdKTP2Q7leF36SuRIKMfuRvZRe3mG8ro4rIY2iZl0Dih39H1erHsDOqHx33nEub7vF0FRnPTpY16bFJfDu80wqSxf8pj9/q+Amdr4MVmprjEgyuBMPDMMAjkuRivBMMO2Dbs3k3Yxq/gt6+52LjI2upeLRtmwwX5AMR0+hRzvQxlF5ll88+MCtnV4IPZhPm9XdpCKdLnFZAC5627SDNexGaNvF4cIIRuBvKoryNOL"
    static let rsaFingerprint = "SHA256:/ytUB/rxUlY0FcR5KGyzEarLKF8TExfEMB7M/idKNRY"

    static func key(_ line: String) -> HostKey { HostKey(openSSHLine: line)! }
}

@Suite("SSH host keys, known_hosts and host-key policy")
struct SSHKnownHostsTests {
    @Test(arguments: [
        (SampleKeys.ed25519, "ssh-ed25519", SampleKeys.ed25519Fingerprint),
        (SampleKeys.ecdsa, "ecdsa-sha2-nistp256", SampleKeys.ecdsaFingerprint),
        (SampleKeys.rsa, "ssh-rsa", SampleKeys.rsaFingerprint),
    ])
    func fingerprintMatchesSSHKeygen(line: String, type: String, fingerprint: String) throws {
        let key = try #require(HostKey(openSSHLine: line + " comment here"))
        #expect(key.type == type)
        #expect(key.fingerprint == fingerprint)
        #expect(key.openSSHLine == line)
        #expect(HostKey(base64: key.base64) == key)
    }

    @Test func malformedKeysAreRefused() {
        let blob = String(SampleKeys.ed25519.split(separator: " ")[1])
        #expect(HostKey(type: "ssh-rsa", base64: blob) == nil)  // the blob says ed25519
        #expect(HostKey(type: "ssh-ed25519", base64: "not base64!") == nil)
        #expect(HostKey(openSSHLine: "ssh-ed25519") == nil)
        #expect(HostKey(base64: Data("hello".utf8).base64EncodedString()) == nil)
    }

    @Test func knownHostsRoundTripsAndSortsByServerID() throws {
        var hosts = KnownHosts()
        hosts.pin(serverID: "4711", key: SampleKeys.key(SampleKeys.rsa))
        hosts.pin(serverID: "1001", key: SampleKeys.key(SampleKeys.ed25519))
        let text = hosts.serialized
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.first == "1001 \(SampleKeys.ed25519) \(SampleKeys.ed25519Fingerprint)")
        #expect(try KnownHosts(parsing: text) == hosts)
        let removed = hosts.forget(serverID: "4711")
        let removedAgain = hosts.forget(serverID: "4711")
        #expect(removed && !removedAgain)
        #expect(hosts.key(for: "4711") == nil)
    }

    @Test func knownHostsParseErrorsNameTheLine() {
        let good = "1001 \(SampleKeys.ed25519) \(SampleKeys.ed25519Fingerprint)"
        #expect(throws: KnownHosts.ParseError(line: 3, reason: "expected '<server-id> <key-type> <base64-key> <fingerprint>'")) {
            try KnownHosts(parsing: "# c\n\(good)\n1002 ssh-ed25519\n")
        }
        #expect(throws: KnownHosts.ParseError(line: 1, reason: "the fingerprint does not match the key")) {
            try KnownHosts(parsing: "1001 \(SampleKeys.ed25519) \(SampleKeys.rsaFingerprint)\n")
        }
        #expect(throws: KnownHosts.ParseError(line: 2, reason: "server 1001 is listed twice")) {
            try KnownHosts(parsing: "\(good)\n\(good)\n")
        }
        #expect(throws: KnownHosts.ParseError(line: 1, reason: "the key is not a valid ssh-rsa key")) {
            try KnownHosts(parsing: "1001 ssh-rsa \(SampleKeys.ed25519.split(separator: " ")[1]) \(SampleKeys.ed25519Fingerprint)")
        }
    }

    @Test func strictPolicyRefusesUnknownAndChangedKeys() {
        let pinned = SampleKeys.key(SampleKeys.ed25519)
        let other = SampleKeys.key(SampleKeys.ecdsa)
        #expect(HostKeyPolicy.strict.verdict(serverID: "1001", presented: pinned, pinned: pinned) == .accept)
        #expect(HostKeyPolicy.strict.verdict(serverID: "1001", presented: pinned, pinned: nil)
            == .reject(.hostKeyUnknown(serverID: "1001", presented: pinned)))
        #expect(HostKeyPolicy.strict.verdict(serverID: "1001", presented: other, pinned: pinned)
            == .reject(.hostKeyChanged(serverID: "1001", expected: pinned, presented: other)))
        #expect(HostKeyPolicy.pinOnFirstUse.verdict(serverID: "1001", presented: pinned, pinned: nil) == .pinAndAccept)
        #expect(HostKeyPolicy.pinOnFirstUse.verdict(serverID: "1001", presented: other, pinned: pinned)
            == .reject(.hostKeyChanged(serverID: "1001", expected: pinned, presented: other)))
    }

    @Test func verifiedFingerprintPinsOnlyThatKeyAndReplacesAChangedPin() {
        let pinned = SampleKeys.key(SampleKeys.ed25519)
        let other = SampleKeys.key(SampleKeys.ecdsa)
        let verified = HostKeyPolicy.pinIfFingerprint(other.fingerprint)
        #expect(verified.verdict(serverID: "1001", presented: other, pinned: nil) == .pinAndAccept)
        #expect(verified.verdict(serverID: "1001", presented: other, pinned: pinned) == .pinAndAccept)
        #expect(verified.verdict(serverID: "1001", presented: other, pinned: other) == .accept)
        #expect(verified.verdict(serverID: "1001", presented: pinned, pinned: nil)
            == .reject(.fingerprintMismatch(serverID: "1001", verified: other.fingerprint, presented: pinned)))
        let message = SSHError.fingerprintMismatch(serverID: "1001", verified: other.fingerprint, presented: pinned).description
        #expect(message.contains("nothing was pinned") && message.contains(pinned.fingerprint))
    }

    @Test func changedKeyMessageNamesBothFingerprintsAndHowToRepin() {
        let message = SSHError.hostKeyChanged(serverID: "4711", expected: SampleKeys.key(SampleKeys.ed25519),
                                              presented: SampleKeys.key(SampleKeys.rsa)).description
        #expect(message.contains("HOST KEY CHANGED for server 4711"))
        #expect(message.contains(SampleKeys.ed25519Fingerprint))
        #expect(message.contains(SampleKeys.rsaFingerprint))
        #expect(message.contains("maictl hosts pin 4711 --fingerprint"))
    }

    @Test func knownHostsFilePinsPersistWithOwnerOnlyModes() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let file = try KnownHostsFile(stateDirectory: state)
        #expect(try file.key(for: "1001") == nil)
        try file.pin(serverID: "1001", publicKey: SampleKeys.key(SampleKeys.ed25519))
        try file.pin(serverID: "1002", publicKey: SampleKeys.key(SampleKeys.ecdsa))
        let reopened = try KnownHostsFile(stateDirectory: state)
        #expect(try reopened.key(for: "1001") == SampleKeys.key(SampleKeys.ed25519))
        #expect(try reopened.forget(serverID: "1001"))
        #expect(try file.key(for: "1001") == nil)
        #expect(try file.key(for: "1002") == SampleKeys.key(SampleKeys.ecdsa))
        let fileMode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        let dirMode = try FileManager.default.attributesOfItem(atPath: state)[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        #expect(dirMode == 0o700)
    }

    @Test func corruptKnownHostsFileIsAnErrorNotAnEmptyTrustStore() throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kh-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let file = try KnownHostsFile(stateDirectory: state)
        try "1001 garbage\n".write(toFile: file.path, atomically: true, encoding: .utf8)
        #expect(throws: SSHError.self) { try file.key(for: "1001") }
    }

    @Test func credentialsTakePassphraseFromEnvironmentThenPromptAndNeverPrintIt() {
        let fromEnv = SSHCredentials.keyFile(path: "/k", environment: ["MAICTL_SSH_PASSPHRASE": "hunter22"]) { _ in "prompted" }
        guard case .keyFile(_, let envPass) = fromEnv else { Issue.record("not a key file"); return }
        #expect(envPass?.value == "hunter22")
        let prompted = SSHCredentials.keyFile(path: "/k", environment: [:]) { _ in "prompted" }
        guard case .keyFile(_, let promptPass) = prompted else { Issue.record("not a key file"); return }
        #expect(promptPass?.value == "prompted")
        #expect(!"\(fromEnv)".contains("hunter22"))
        #expect(SSHCredentials.agentFromEnvironment([:]) == nil)
        #expect("\(SSHCredentials.agentFromEnvironment(["SSH_AUTH_SOCK": "/tmp/a.sock"])!)" == "ssh-agent at /tmp/a.sock")
    }
}
