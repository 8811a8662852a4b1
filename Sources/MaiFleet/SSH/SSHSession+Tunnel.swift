import CLibSSH
import Foundation

extension SSHSession {
    /// A direct-tcpip channel to `host:port` as the remote host sees it (the agent's admin API on
    /// the host's loopback) — no local port is opened.
    public func openDirectTCPIP(host: String = "127.0.0.1", port: Int) async throws -> any ByteTunnel {
        let target = self.target
        let channel = try await run { session, _ in
            guard let channel = ssh_channel_new(session) else {
                throw SSHError.channelFailed(target: target.description, operation: "opening a tunnel", reason: LibSSH.error(session))
            }
            guard ssh_channel_open_forward(channel, host, Int32(port), "127.0.0.1", 0) == SSH_OK else {
                let reason = LibSSH.error(session)
                ssh_channel_free(channel)
                throw SSHError.channelFailed(target: target.description, operation: "opening a tunnel to \(host):\(port)", reason: reason)
            }
            return UnsafeSendablePointer(channel)
        }
        return SSHChannelTunnel(session: self, channel: channel.value, destination: "\(host):\(port)")
    }
}

/// A direct-tcpip channel; every call runs on its session's queue.
final class SSHChannelTunnel: ByteTunnel, @unchecked Sendable {
    private let session: SSHSession
    private let destination: String
    // Touched only on the session's queue; nil once closed.
    private var channel: OpaquePointer?

    init(session: SSHSession, channel: OpaquePointer, destination: String) {
        self.session = session
        self.channel = channel
        self.destination = destination
    }

    func write(_ data: Data) async throws {
        let target = session.target
        try await session.run { ssh, _ in
            guard let channel = self.channel else { throw SSHError.sessionClosed(target: target.description) }
            try SSHSession.writeAll(data, to: channel, session: ssh, target: target)
        }
    }

    func read(timeout: Duration) async throws -> Data? {
        let target = session.target
        let destination = self.destination
        return try await session.run { ssh, cancelled in
            guard let channel = self.channel else { throw SSHError.sessionClosed(target: target.description) }
            let deadline = ContinuousClock.now + timeout
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                if cancelled.isCancelled { throw SSHError.sessionClosed(target: target.description) }
                let now = ContinuousClock.now
                guard now < deadline else {
                    throw SSHError.commandTimedOut(target: target.description, command: "tunnel to \(destination)", seconds: timeout.seconds)
                }
                let slice = min(Duration.milliseconds(200), deadline - now)
                let available = ssh_channel_poll_timeout(channel, Int32(max(1, slice.seconds * 1000)), 0)
                if available == SSH_ERROR {
                    throw SSHError.channelFailed(target: target.description, operation: "reading the tunnel to \(destination)",
                                                 reason: LibSSH.error(ssh))
                }
                if available == SSH_EOF { return nil }
                if available > 0 {
                    var data = Data()
                    try SSHSession.drain(channel, stderr: false, into: &data, buffer: &buffer, session: ssh, target: target)
                    if !data.isEmpty { return data }
                }
                self.session.keepaliveIfDue(ssh)
            }
        }
    }

    func close() async {
        _ = try? await session.run { _, _ in
            guard let channel = self.channel else { return }
            self.channel = nil
            ssh_channel_close(channel)
            ssh_channel_free(channel)
        }
    }
}
