import Foundation

/// Where a deploy step's commands go: a host over SSH, or (`--dry-run`) a printer that runs nothing.
public protocol HostRunner: Sendable {
    /// The instance this runner reaches (for messages).
    var label: String { get }
    func run(_ command: RemoteCommand, stdin: Data?, timeout: Duration) async throws -> ExecResult
    /// Runs `command` with a local file streamed to its stdin.
    func run(_ command: RemoteCommand, stdinPath: String, timeout: Duration) async throws -> ExecResult
}

extension HostRunner {
    func run(_ command: RemoteCommand, timeout: Duration = .seconds(60)) async throws -> ExecResult {
        try await run(command, stdin: nil, timeout: timeout)
    }
}

/// Runs commands on the host through one SSH session.
public struct SSHHostRunner: HostRunner {
    public let session: SSHSession
    public let label: String

    public init(session: SSHSession, label: String) {
        self.session = session
        self.label = label
    }

    public func run(_ command: RemoteCommand, stdin: Data?, timeout: Duration) async throws -> ExecResult {
        try await session.exec(command, stdin: stdin, timeout: timeout)
    }

    public func run(_ command: RemoteCommand, stdinPath: String, timeout: Duration) async throws -> ExecResult {
        try await session.exec(command, stdinPath: stdinPath, timeout: timeout)
    }
}

/// `--dry-run`: prints each command (and what its stdin would be, secrets never) and answers as a
/// host with nothing deployed yet would, so the whole sequence is shown. Nothing is run.
public struct DryRunRunner: HostRunner {
    public let label: String
    public let print: @Sendable (String) -> Void

    public init(label: String, print: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.print = print
    }

    public func run(_ command: RemoteCommand, stdin: Data?, timeout: Duration) async throws -> ExecResult {
        print("[dry-run] \(label): \(command.commandLine)" + (stdin.map { " <stdin: \($0.count) bytes>" } ?? ""))
        // "No container and no image yet" for the two inspects, success for everything else.
        let absent = command.argv.count > 2 && ["container", "image"].contains(command.argv[1]) && command.argv[2] == "inspect"
        return ExecResult(exitStatus: absent ? 1 : 0, stdout: Data(), stderr: Data())
    }

    public func run(_ command: RemoteCommand, stdinPath: String, timeout: Duration) async throws -> ExecResult {
        print("[dry-run] \(label): \(command.commandLine) < \(stdinPath)")
        return ExecResult(exitStatus: 0, stdout: Data(), stderr: Data())
    }
}
