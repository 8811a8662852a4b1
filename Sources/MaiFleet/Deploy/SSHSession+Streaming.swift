import CLibSSH
import Foundation

extension SSHSession {
    /// Runs `command` with the file at `stdinPath` streamed to its stdin in 1 MiB chunks (an image
    /// archive for `podman load`: never held in memory whole), then waits for it like `exec`.
    public func exec(_ command: RemoteCommand, stdinPath: String, timeout: Duration) async throws -> ExecResult {
        guard let file = FileHandle(forReadingAtPath: stdinPath) else {
            throw SSHError.channelFailed(target: target.description, operation: "streaming \(stdinPath)", reason: "cannot read the file")
        }
        let target = self.target
        return try await run { session, cancelled in
            defer { try? file.close() }
            let deadline = ContinuousClock.now + timeout
            let channel = try Self.startExec(command.limited(toSeconds: Int(timeout.seconds.rounded(.up)) + 1).commandLine,
                                             describing: command, session: session, target: target)
            defer { Self.endExec(channel) }
            var stdout = Data()
            var stderr = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
                if cancelled.isCancelled { throw SSHError.sessionClosed(target: target.description) }
                if ContinuousClock.now >= deadline {
                    throw SSHError.commandTimedOut(target: target.description, command: command.commandLine, seconds: timeout.seconds)
                }
                try Self.writeAll(chunk, to: channel, session: session, target: target)
                // Keep the command's stderr from filling its window while the archive streams.
                try Self.drain(channel, stderr: true, into: &stderr, buffer: &buffer, session: session, target: target)
            }
            _ = ssh_channel_send_eof(channel)
            let status = try self.pump(channel, command: command, deadline: deadline, limit: timeout, cancelled: cancelled, session: session) { data, isError in
                if isError { stderr.append(data) } else { stdout.append(data) }
            }
            return ExecResult(exitStatus: status, stdout: stdout, stderr: stderr)
        }
    }

    /// Runs `command` without a time limit, handing each piece of stdout and stderr to `output`
    /// as it arrives (`maictl logs -f`, `maictl exec`); returns the exit status.
    public func execStreaming(_ command: RemoteCommand, output: @escaping @Sendable (Data, Bool) -> Void) async throws -> Int32 {
        let target = self.target
        return try await run { session, cancelled in
            let channel = try Self.startExec(command.commandLine, describing: command, session: session, target: target)
            defer { Self.endExec(channel) }
            _ = ssh_channel_send_eof(channel)
            return try self.pump(channel, command: command, deadline: nil, cancelled: cancelled, session: session, output: output)
        }
    }
}
