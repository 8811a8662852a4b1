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
            guard let channel = ssh_channel_new(session) else {
                throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: LibSSH.error(session))
            }
            defer { ssh_channel_free(channel) }
            guard ssh_channel_open_session(channel) == SSH_OK else {
                throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: LibSSH.error(session))
            }
            defer { ssh_channel_close(channel) }
            guard ssh_channel_request_exec(channel, command.limited(toSeconds: Int(timeout.seconds.rounded(.up)) + 1).commandLine) == SSH_OK else {
                throw SSHError.channelFailed(target: target.description, operation: "starting `\(command)`", reason: LibSSH.error(session))
            }
            var stdout = Data()
            var stderr = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty {
                if cancelled.isCancelled { throw SSHError.sessionClosed(target: target.description) }
                if ContinuousClock.now >= deadline {
                    throw SSHError.commandTimedOut(target: target.description, command: command.commandLine, seconds: timeout.seconds)
                }
                try Self.writeAll(chunk, to: channel, session: session, target: target)
                try Self.drain(channel, stderr: true, into: &stderr, buffer: &buffer, session: session, target: target)
            }
            _ = ssh_channel_send_eof(channel)
            while true {
                if cancelled.isCancelled { throw SSHError.sessionClosed(target: target.description) }
                let now = ContinuousClock.now
                if now >= deadline {
                    throw SSHError.commandTimedOut(target: target.description, command: command.commandLine, seconds: timeout.seconds)
                }
                let available = ssh_channel_poll_timeout(channel, 200, 0)
                if available == SSH_ERROR {
                    throw SSHError.channelFailed(target: target.description, operation: "reading `\(command)`", reason: LibSSH.error(session))
                }
                if available > 0 {
                    try Self.drain(channel, stderr: false, into: &stdout, buffer: &buffer, session: session, target: target)
                }
                try Self.drain(channel, stderr: true, into: &stderr, buffer: &buffer, session: session, target: target)
                if available == SSH_EOF { break }
            }
            return ExecResult(exitStatus: ssh_channel_get_exit_status(channel), stdout: stdout, stderr: stderr)
        }
    }

    /// Runs `command` without a time limit, handing each piece of stdout and stderr to `output`
    /// as it arrives (`maictl logs -f`, `maictl exec`); returns the exit status.
    public func execStreaming(_ command: RemoteCommand, output: @escaping @Sendable (Data, Bool) -> Void) async throws -> Int32 {
        let target = self.target
        return try await run { session, cancelled in
            guard let channel = ssh_channel_new(session) else {
                throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: LibSSH.error(session))
            }
            defer { ssh_channel_free(channel) }
            guard ssh_channel_open_session(channel) == SSH_OK else {
                throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: LibSSH.error(session))
            }
            defer { ssh_channel_close(channel) }
            guard ssh_channel_request_exec(channel, command.commandLine) == SSH_OK else {
                throw SSHError.channelFailed(target: target.description, operation: "starting `\(command)`", reason: LibSSH.error(session))
            }
            _ = ssh_channel_send_eof(channel)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                if cancelled.isCancelled { throw SSHError.sessionClosed(target: target.description) }
                let available = ssh_channel_poll_timeout(channel, 200, 0)
                if available == SSH_ERROR {
                    throw SSHError.channelFailed(target: target.description, operation: "reading `\(command)`", reason: LibSSH.error(session))
                }
                for stderr in [false, true] {
                    var piece = Data()
                    try Self.drain(channel, stderr: stderr, into: &piece, buffer: &buffer, session: session, target: target)
                    if !piece.isEmpty { output(piece, stderr) }
                }
                self.keepaliveIfDue(session)
                if available == SSH_EOF { break }
            }
            return ssh_channel_get_exit_status(channel)
        }
    }
}
