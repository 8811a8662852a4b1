import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
@testable import MaiFleet

/// `maictl health`'s certificate check against real TLS servers on loopback, with certificates made
/// by the openssl command-line tool.
@Suite("Health: the TLS certificate as a browser sees it")
struct TLSCertificateProbeTests {
    /// A self-signed certificate for `name`, valid `days` days, in a fresh directory: (cert, key).
    static func makeCertificate(name: String, days: Int) throws -> (String, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mai-tls-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                             "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "\(days)", "-subj", "/CN=\(name)"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return (directory + "/cert.pem", directory + "/key.pem")
    }

    /// A TLS server on 127.0.0.1 presenting `certificate`; returns the channel (close it) and its port.
    static func serve(certificate: String, key: String) async throws -> (Channel, Int) {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (channel, channel.localAddress?.port ?? 0)
    }

    @Test func readsTheCertificatesEndDate() async throws {
        let (certificate, key) = try Self.makeCertificate(name: "chat.acme.test", days: 10)
        let (server, port) = try await Self.serve(certificate: certificate, key: key)
        defer { server.close(promise: nil) }
        let expected = Date(timeIntervalSince1970: TimeInterval(try NIOSSLCertificate.fromPEMFile(certificate)[0].notValidAfter))
        let notAfter = try await TLSCertificateProbe.notAfter(host: "127.0.0.1", port: port, serverName: "chat.acme.test")
        #expect(notAfter == expected)
        // Ten days from now, as `openssl req -days 10` made it: below the 14-day warning threshold.
        #expect(abs(notAfter.timeIntervalSinceNow - 10 * 86_400) < 600)
        let check = HealthEvaluator().tls(.value(notAfter), now: Date())
        #expect(check.state == .warning && check.message == "TLS certificate valid for 9 more days")
    }

    @Test func aPortWithoutTLSIsAnErrorNotAHang() async throws {
        // A plain TCP listener that never speaks TLS: the deadline ends the wait.
        let plain = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { plain.close(promise: nil) }
        let start = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            _ = try await TLSCertificateProbe.notAfter(host: "127.0.0.1", port: plain.localAddress?.port ?? 0, serverName: "x.test",
                                                       timeout: .seconds(1))
        }
        // The 1 s deadline, with room for a busy machine; without it the wait would never end.
        #expect(ContinuousClock.now - start < .seconds(30), "ended after \(ContinuousClock.now - start)")

        // Nothing listening: refused at once.
        let closedPort = plain.localAddress?.port ?? 0
        plain.close(promise: nil)
        try await Task.sleep(for: .milliseconds(50))
        let failure = await HealthProbe.certificateEnd(domain: "127.0.0.1", timeout: 1)
        guard case .failed(let reason) = failure else { Issue.record("\(failure)"); return }
        #expect(reason.hasPrefix("cannot read the certificate of 127.0.0.1:443"), "\(reason) (port \(closedPort))")
    }
}
