import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite struct StateDirectoryTests {
    private func temporaryState() -> (StateDirectory, URL) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("maistate-\(UUID().uuidString)")
        return (StateDirectory(url: base.appendingPathComponent("state")), base)
    }

    private func mode(_ url: URL) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
    }

    @Test func locationComesFromTheEnvironment() throws {
        #expect(try StateDirectory.location(environment: ["MAICTL_STATE_DIR": "/srv/maictl", "HOME": "/home/op"]).path == "/srv/maictl")
        #expect(try StateDirectory.location(environment: ["XDG_STATE_HOME": "/x/state", "HOME": "/home/op"]).path == "/x/state/maictl")
        #expect(try StateDirectory.location(environment: ["HOME": "/home/op"]).path == "/home/op/.local/state/maictl")
        #expect(throws: StateError.noLocation) { try StateDirectory.location(environment: [:]) }
    }

    @Test func prepareCreatesAPrivateDirectory() throws {
        let (state, base) = temporaryState()
        defer { try? FileManager.default.removeItem(at: base) }
        try state.prepare()
        #expect(try mode(state.url) == 0o700)
        try state.prepare()  // idempotent
    }

    @Test func fleetTokenIsGeneratedOnceAndStoredPrivately() throws {
        let (state, base) = temporaryState()
        defer { try? FileManager.default.removeItem(at: base) }
        let token = try state.fleetToken(for: "acme")
        #expect(token.value.count == 64)
        let isHex = token.value.allSatisfy { $0.isHexDigit }
        #expect(isHex)
        #expect("\(token)" == "[REDACTED]")
        #expect(try state.fleetToken(for: "acme") == token)
        #expect(try state.fleetToken(for: "globex") != token)
        let file = state.url.appendingPathComponent("instances/acme/fleet-token")
        #expect(try mode(file) == 0o600)
        #expect(try mode(file.deletingLastPathComponent()) == 0o700)
        #expect(try mode(state.url.appendingPathComponent("instances")) == 0o700)
        #expect(try String(contentsOf: file, encoding: .utf8) == token.value + "\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path)
        #expect(leftovers == ["fleet-token"])
    }

    @Test func generatedTokensAreRandom() {
        let tokens = Set((0..<100).map { _ in StateDirectory.generateToken().value })
        #expect(tokens.count == 100)
        #expect(StateDirectory.generateToken(byteCount: 48).value.count == 96)
    }

    @Test func worldReadableSecretFileIsRefusedWithTheChmodToRun() throws {
        let (state, base) = temporaryState()
        defer { try? FileManager.default.removeItem(at: base) }
        try state.writeSecret(Secret("s3cret-value-long-enough-000000000"), name: "fleet-token", instance: "acme")
        let file = state.url.appendingPathComponent("instances/acme/fleet-token")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(throws: StateError.fileTooOpen(path: file.path, mode: UInt32(0o100644))) {
            try state.readSecret("fleet-token", instance: "acme")
        }
        do {
            _ = try state.readSecret("fleet-token", instance: "acme")
        } catch {
            #expect(error.description == "secret file \(file.path) is readable by other users (mode 0644) — run: chmod 600 \(file.path) (and rotate the secret if others may have read it)")
        }
        // Group-readable is refused too; after the chmod the secret reads back.
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
        #expect(throws: StateError.self) { try state.readSecret("fleet-token", instance: "acme") }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        #expect(try state.readSecret("fleet-token", instance: "acme")?.value == "s3cret-value-long-enough-000000000")
    }

    @Test func openDirectoryIsRefusedWithTheChmodToRun() throws {
        let (state, base) = temporaryState()
        defer { try? FileManager.default.removeItem(at: base) }
        try state.prepare()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: state.url.path)
        do {
            try state.prepare()
            Issue.record("an open state directory was accepted")
        } catch {
            #expect(error.description == "state directory \(state.url.path) is open to other users (mode 0755) — run: chmod 700 \(state.url.path)")
        }
        #expect(throws: StateError.self) { try state.fleetToken(for: "acme") }
    }

    @Test func pathsWithSpacesAreQuotedInTheCommand() throws {
        let error = StateError.fileTooOpen(path: "/tmp/my state/x", mode: 0o644)
        #expect(error.description.contains("run: chmod 600 '/tmp/my state/x'"))
    }

    @Test func namesAreChecked() throws {
        let (state, base) = temporaryState()
        defer { try? FileManager.default.removeItem(at: base) }
        #expect(throws: StateError.invalidName("../acme")) { try state.readSecret("fleet-token", instance: "../acme") }
        #expect(throws: StateError.invalidName("a/b")) { try state.readSecret("a/b", instance: "acme") }
        #expect(try state.readSecret("fleet-token", instance: "acme") == nil)
    }
}
