import Foundation
import MaiCore

/// A client's first administrator, made by the operator on the client's host — the only way in
/// while public sign-up is closed (the default a deploy writes). Runs `mai-agent user create
/// --admin` in the serving container, the password on its standard input (never in an argv, a
/// log or the audit), and hands the generated password back to be shown once.
public struct FirstAdmin: Sendable {
    /// Why the account was not made; each message says what to do.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The agent refused (e.g. the address is taken); `detail` is its own message.
        case refused(detail: String)
        /// No serving container: nothing deployed yet.
        case notDeployed(slug: String)

        public var description: String {
            switch self {
            case .refused(let detail): "the agent refused: \(detail)"
            case .notDeployed(let slug): "no agent runs on \(slug)'s host: deploy first (maictl deploy \(slug))"
            }
        }
    }

    public var email: String
    public var name: String
    public var engine: EngineCommands

    public init(email: String, name: String, engine: EngineCommands = EngineCommands()) {
        self.email = email
        self.name = name
        self.engine = engine
    }

    /// 24 characters from 54 unambiguous letters and digits (≈138 bits), from the system's CSPRNG.
    public static func generatePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }

    /// The command run on the host; the password goes to its standard input.
    public var command: RemoteCommand {
        RemoteCommand([engine.engine, "exec", "--interactive", HostLayout.servingContainer,
                       "/usr/local/bin/mai-agent", "user", "create", "--admin",
                       "--email", email, "--name", name, "--password-stdin"])
    }

    /// Makes the account with `password` through `run` (an SSH exec with standard input).
    public func create(slug: String, password: String,
                       run: @Sendable (RemoteCommand, Data) async throws -> ExecResult) async throws -> String {
        let result = try await run(command, Data((password + "\n").utf8))
        if result.succeeded {
            return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let said = (result.stderrText + result.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines)
        if said.contains("no such container") || said.contains("No such container") {
            throw Failure.notDeployed(slug: slug)
        }
        throw Failure.refused(detail: said.replacingOccurrences(of: "mai-agent: ", with: ""))
    }
}
