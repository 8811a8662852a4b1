import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Reads the TLS certificate a server presents, from where maictl runs — what the client's
/// employees' browsers see: `maictl health`'s days-left check. The chain is not judged here (the
/// public `/health` request does that); an expired or self-signed certificate is still read, so
/// its dates can be reported.
public enum TLSCertificateProbe {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case noAnswer(String, seconds: Int)
        case noCertificate(String)

        public var description: String {
            switch self {
            case .noAnswer(let address, let seconds): "no TLS handshake with \(address) within \(seconds) s"
            case .noCertificate(let address): "\(address) presented no certificate"
            }
        }
    }

    /// The notAfter of the leaf certificate `host:port` presents for the name `serverName` (SNI).
    public static func notAfter(host: String, port: Int = 443, serverName: String, timeout: Duration = .seconds(5)) async throws -> Date {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let address = "\(host):\(port)"
        let group = MultiThreadedEventLoopGroup.singleton
        let handshake = group.next().makePromise(of: Void.self)
        let seconds = Int(timeout.seconds.rounded(.up))
        // SNI carries names only: an address (or nothing) is sent without it.
        let sni = serverName.isEmpty || (try? SocketAddress(ipAddress: serverName, port: 0)) != nil ? nil : serverName
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(timeout.seconds * 1000)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: context, serverHostname: sni)
                        try channel.pipeline.syncOperations.addHandlers(tls, HandshakeWatcher(done: handshake))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            handshake.fail(error)  // never left pending: NIO reports leaked promises
            throw error
        }
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout.seconds * 1000))) {
            handshake.fail(Failure.noAnswer(address, seconds: seconds))
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        try await handshake.futureResult.get()
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else { throw Failure.noCertificate(address) }
        return Date(timeIntervalSince1970: TimeInterval(certificate.notValidAfter))
    }
}

/// Completes `done` when the TLS handshake has finished, fails it on an error or a closed connection.
private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let done: EventLoopPromise<Void>

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { done.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        done.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
