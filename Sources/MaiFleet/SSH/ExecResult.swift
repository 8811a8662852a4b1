import Foundation

/// What a remote command did.
public struct ExecResult: Sendable, Equatable {
    /// The exit status; -1 when the command ended without one (killed by a signal).
    public var exitStatus: Int32
    public var stdout: Data
    public var stderr: Data

    public init(exitStatus: Int32, stdout: Data, stderr: Data) {
        self.exitStatus = exitStatus
        self.stdout = stdout
        self.stderr = stderr
    }

    /// stdout as UTF-8 text (invalid bytes replaced).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// stderr as UTF-8 text (invalid bytes replaced).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// Whether the command exited 0.
    public var succeeded: Bool { exitStatus == 0 }
}
