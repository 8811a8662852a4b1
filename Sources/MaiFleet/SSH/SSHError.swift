import Foundation

/// What went wrong talking to a host; every message says what to do next.
public enum SSHError: Error, Sendable, Equatable, CustomStringConvertible {
    /// TCP or SSH handshake failed (refused, unreachable, timed out).
    case connectFailed(target: String, reason: String)
    /// Strict checking and no key pinned for this server.
    case hostKeyUnknown(serverID: String, presented: HostKey)
    /// The server presented a key other than the pinned one.
    case hostKeyChanged(serverID: String, expected: HostKey, presented: HostKey)
    /// `maictl hosts pin --fingerprint` named a fingerprint the server did not present.
    case fingerprintMismatch(serverID: String, verified: String, presented: HostKey)
    /// The server refused our key or agent identities.
    case authenticationFailed(target: String, credentials: String, reason: String)
    /// The private key file could not be read or decrypted.
    case keyFileUnreadable(path: String)
    /// The known_hosts file is malformed or could not be written.
    case knownHostsUnreadable(path: String, reason: String)
    /// A channel operation failed.
    case channelFailed(target: String, operation: String, reason: String)
    /// A command ran past its deadline; its channel was closed.
    case commandTimedOut(target: String, command: String, seconds: Double)
    /// The session was closed (or the task cancelled) before the operation finished.
    case sessionClosed(target: String)

    public var description: String {
        switch self {
        case .connectFailed(let target, let reason):
            "cannot connect to \(target): \(reason). Check that the server is running and reachable on its SSH port."
        case .hostKeyUnknown(let serverID, let presented):
            "no host key is pinned for server \(serverID) (it presented \(presented)); refusing to connect. "
                + "Keys are pinned at provisioning; verify this fingerprint with the provider's console, then pin it: "
                + "maictl hosts pin \(serverID) --fingerprint <the verified fingerprint>"
        case .hostKeyChanged(let serverID, let expected, let presented):
            "HOST KEY CHANGED for server \(serverID): expected \(expected), but it presented \(presented). "
                + "This may be an attack (or the server was rebuilt). Refusing to connect. After verifying the new "
                + "fingerprint with the provider's console, re-pin with: maictl hosts pin \(serverID) --fingerprint <the verified fingerprint>"
        case .fingerprintMismatch(let serverID, let verified, let presented):
            "server \(serverID) presented \(presented), not the fingerprint \(verified) you gave; nothing was pinned. "
                + "Check the fingerprint in the provider's console (server console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)."
        case .authenticationFailed(let target, let credentials, let reason):
            "authentication to \(target) with \(credentials) failed: \(reason). Check that the public key is in the "
                + "server's authorized_keys, or set MAICTL_SSH_PASSPHRASE for an encrypted key."
        case .keyFileUnreadable(let path):
            "cannot read the private key \(path): it is missing, not an ed25519/ecdsa/rsa key, or the passphrase is wrong "
                + "(set MAICTL_SSH_PASSPHRASE)."
        case .knownHostsUnreadable(let path, let reason):
            "known hosts file \(path): \(reason). Fix or remove the line named; pins are never skipped silently."
        case .channelFailed(let target, let operation, let reason):
            "\(operation) on \(target) failed: \(reason)."
        case .commandTimedOut(let target, let command, let seconds):
            "`\(command)` on \(target) did not finish within \(seconds.formatted()) s and was stopped. "
                + "Retry, or raise the command timeout."
        case .sessionClosed(let target):
            "the SSH session to \(target) was closed before the operation finished."
        }
    }
}

