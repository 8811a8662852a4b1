import Foundation
import Synchronization
import Testing
@testable import MaiFleet

@Suite("Operator terminal: progress lines and encrypted key detection")
struct OperatorTerminalTests {
    @Test func progressLineCountsDoneAndFailed() {
        #expect(FleetProgress.line(action: "health", done: 3, total: 20, failed: 0, last: "acme", ok: true)
            == "maictl health:  3/20 done — acme ok")
        #expect(FleetProgress.line(action: "status", done: 20, total: 20, failed: 2, last: "globex", ok: false)
            == "maictl status: 20/20 done, 2 failed — globex FAILED")
    }

    @Test func progressWritesOnlyWhenEnabledAndClearsItsLine() async throws {
        let written = Mutex<[String]>([])
        let off = FleetProgress(total: 2, action: "status", enabled: false) { text in written.withLock { $0.append(text) } }
        off.finished("a", ok: true)
        off.end()
        #expect(written.withLock { $0 }.isEmpty)

        let on = FleetProgress(total: 2, action: "status", enabled: true) { text in written.withLock { $0.append(text) } }
        _ = await on.track("a") { 1 }
        struct Boom: Error {}
        await #expect(throws: Boom.self) { try await on.track("b") { throw Boom() } }
        on.end()
        let lines = written.withLock { $0 }
        #expect(lines == ["\r\u{1B}[2Kmaictl status: 1/2 done — a ok", "\r\u{1B}[2Kmaictl status: 2/2 done, 1 failed — b FAILED", "\r\u{1B}[2K"])
    }

    @Test(arguments: [("ed25519", [String]()), ("ecdsa", []), ("rsa", ["-m", "PEM"]), ("rsa", ["-m", "PKCS8"])])
    func encryptedKeysAreRecognisedAsSshKeygenWritesThem(type: String, format: [String]) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, passphrase) in [("plain", ""), ("locked", "correct horse")] {
            let path = dir + "/\(name)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
            process.arguments = ["-q", "-t", type, "-N", passphrase, "-f", path, "-C", "test"] + format
                + (type == "rsa" ? ["-b", "2048"] : [])
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            #expect(PrivateKeyFile.isEncrypted(atPath: path) == !passphrase.isEmpty, "\(type) \(format) \(name)")
        }
        #expect(!PrivateKeyFile.isEncrypted(atPath: dir + "/missing"))
    }
}
