import Foundation
import MaiCore

/// How maictl authenticates: a private key file (ed25519, ecdsa or rsa, optionally encrypted) or
/// the keys held by ssh-agent.
public enum SSHCredentials: Sendable, CustomStringConvertible {
    /// A private key file; `passphrase` decrypts it when it is encrypted.
    case keyFile(path: String, passphrase: Secret?)
    /// ssh-agent at `socket` (`SSH_AUTH_SOCK` when nil).
    case agent(socket: String?)

    /// The environment variable read for a key's passphrase.
    public static let passphraseVariable = "MAICTL_SSH_PASSPHRASE"

    /// A key file whose passphrase comes from `MAICTL_SSH_PASSPHRASE`, or else from `prompt`
    /// (the CLI passes a terminal prompt; nil means "no passphrase").
    public static func keyFile(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                               prompt: (@Sendable (String) -> String?)? = nil) -> SSHCredentials {
        if let value = environment[passphraseVariable], !value.isEmpty {
            return .keyFile(path: path, passphrase: Secret(value))
        }
        return .keyFile(path: path, passphrase: prompt?("Passphrase for \(path): ").map(Secret.init))
    }

    /// ssh-agent when `SSH_AUTH_SOCK` is set, otherwise nil.
    public static func agentFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SSHCredentials? {
        guard let socket = environment["SSH_AUTH_SOCK"], !socket.isEmpty else { return nil }
        return .agent(socket: socket)
    }

    /// Names the key file or agent; never the passphrase.
    public var description: String {
        switch self {
        case .keyFile(let path, _): "key file \(path)"
        case .agent(let socket): "ssh-agent at \(socket ?? "$SSH_AUTH_SOCK")"
        }
    }
}
