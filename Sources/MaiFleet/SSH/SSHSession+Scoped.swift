import Foundation

extension SSHSession {
    /// Connects, runs `body` with the session, and closes the session before returning — after a
    /// result and after a thrown error alike. Use this instead of `defer { Task { await close() } }`:
    /// a close left to a detached task can still be inside libssh when the process exits, which
    /// kills maictl with a signal, no message and its buffered output lost.
    public static func withSession<Value: Sendable>(
        to target: SSHTarget, credentials: SSHCredentials, knownHosts: KnownHostsFile, options: SSHOptions = SSHOptions(),
        _ body: (SSHSession) async throws -> Value
    ) async throws -> Value {
        let session = try await connect(to: target, credentials: credentials, knownHosts: knownHosts, options: options)
        do {
            let value = try await body(session)
            await session.close()
            return value
        } catch {
            await session.close()
            throw error
        }
    }
}

extension FleetConnector {
    /// Runs `body` over a fresh SSH session to `instance` (pinned host key, the fleet's
    /// credentials), closed before this returns, whatever `body` did.
    public func withSession<Value: Sendable>(_ instance: Instance, _ body: (SSHSession) async throws -> Value) async throws -> Value {
        try await SSHSession.withSession(to: try target(for: instance), credentials: credentials, knownHosts: knownHosts,
                                         options: options, body)
    }
}
