import Foundation

/// A byte stream to a port on a remote host's loopback (an SSH direct-tcpip channel). The admin
/// API client speaks HTTP over it; tests give it a scripted stream.
public protocol ByteTunnel: Sendable {
    /// Sends all of `data`.
    func write(_ data: Data) async throws
    /// The next bytes, or nil once the far end closed; throws when nothing arrives within `timeout`.
    func read(timeout: Duration) async throws -> Data?
    /// Closes the stream (idempotent).
    func close() async
}

/// Something that opens byte tunnels to a host's loopback ports: an `SSHSession`, or a test double.
public protocol TunnelOpening: Sendable {
    /// A stream to `host:port` as seen from the remote machine.
    func openDirectTCPIP(host: String, port: Int) async throws -> any ByteTunnel
}
