/// A command to run on a host, as an argv — never a glued shell string.
///
/// Builders (`RemoteCommand.dockerPs()`, `.diskUsage(path:)`, …) are pure functions tested by
/// equality. The argv becomes a command line only at the SSH boundary (`commandLine`), where every
/// argument is POSIX-quoted, so a value can never turn into shell syntax.
public struct RemoteCommand: Sendable, Hashable, CustomStringConvertible {
    /// The program and its arguments.
    public let argv: [String]

    /// A command from its argv; the program name must not be empty.
    public init(_ argv: [String]) {
        precondition(!argv.isEmpty && !argv[0].isEmpty, "RemoteCommand needs a program name")
        self.argv = argv
    }

    /// A command from its program name and arguments.
    public init(_ program: String, _ arguments: String...) {
        self.init([program] + arguments)
    }

    /// What is sent in the SSH `exec` request: each argument quoted for the remote POSIX shell.
    public var commandLine: String { ShellQuoting.join(argv) }

    /// The quoted command line (argv carries no secrets: secrets travel on stdin).
    public var description: String { commandLine }
}
