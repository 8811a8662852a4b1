import CLibSSH
import Foundation

extension SSHSession {
    /// Runs `command` (its argv quoted for the remote shell), feeding `stdin` if given, and waits
    /// for its exit status, stdout and stderr. Past `timeout` (default `options.commandTimeout`)
    /// the channel is closed and `SSHError.commandTimedOut` thrown; the host's own `timeout`
    /// wrapper (`options.enforceTimeoutOnHost`) stops the command a second later.
    public func exec(_ command: RemoteCommand, stdin: Data? = nil, timeout: Duration? = nil) async throws -> ExecResult {
        let limit = timeout ?? options.commandTimeout
        let target = self.target
        let sent = options.enforceTimeoutOnHost ? command.limited(toSeconds: Int(limit.seconds.rounded(.up)) + 1) : command
        return try await run { session, cancelled in
            let deadline = ContinuousClock.now + limit
            let channel = try Self.startExec(sent.commandLine, describing: command, session: session, target: target)
            defer { Self.endExec(channel) }
            if let stdin {
                try Self.writeAll(stdin, to: channel, session: session, target: target)
            }
            _ = ssh_channel_send_eof(channel)
            var stdout = Data()
            var stderr = Data()
            let status = try self.pump(channel, command: command, deadline: deadline, limit: limit, cancelled: cancelled, session: session) { data, isError in
                if isError { stderr.append(data) } else { stdout.append(data) }
            }
            return ExecResult(exitStatus: status, stdout: stdout, stderr: stderr)
        }
    }

    /// Opens a session channel and starts `commandLine` on it (`command` names it in errors); the
    /// caller ends it with `endExec`. On the session's queue.
    static func startExec(_ commandLine: String, describing command: RemoteCommand, session: OpaquePointer, target: SSHTarget) throws -> OpaquePointer {
        guard let channel = ssh_channel_new(session) else {
            throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: LibSSH.error(session))
        }
        guard ssh_channel_open_session(channel) == SSH_OK else {
            let reason = LibSSH.error(session)
            ssh_channel_free(channel)
            throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: reason)
        }
        guard ssh_channel_request_exec(channel, commandLine) == SSH_OK else {
            let reason = LibSSH.error(session)
            endExec(channel)
            throw SSHError.channelFailed(target: target.description, operation: "starting `\(command)`", reason: reason)
        }
        return channel
    }

    /// Closes and frees a channel from `startExec`.
    static func endExec(_ channel: OpaquePointer) {
        ssh_channel_close(channel)
        ssh_channel_free(channel)
    }

    /// Hands stdout and stderr to `output` (`true` = stderr) as they arrive until the command's end
    /// of output, then returns its exit status. Past `deadline` (nil: none) the command is sent
    /// TERM and `SSHError.commandTimedOut` (naming `limit`) is thrown. On the session's queue.
    func pump(_ channel: OpaquePointer, command: RemoteCommand, deadline: ContinuousClock.Instant?, limit: Duration = .zero,
              cancelled: CancellationFlag, session: OpaquePointer, output: (Data, Bool) -> Void) throws -> Int32 {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if cancelled.isCancelled { throw SSHError.sessionClosed(target: target.description) }
            var slice = Duration.milliseconds(200)
            if let deadline {
                let now = ContinuousClock.now
                if now >= deadline {
                    // Works for non-root users; OpenSSH refuses signals to root sessions.
                    _ = ssh_channel_request_send_signal(channel, "TERM")
                    throw SSHError.commandTimedOut(target: target.description, command: command.commandLine, seconds: limit.seconds)
                }
                slice = min(slice, deadline - now)
            }
            let available = ssh_channel_poll_timeout(channel, Int32(max(1, slice.seconds * 1000)), 0)
            if available == SSH_ERROR {
                throw SSHError.channelFailed(target: target.description, operation: "reading `\(command)`", reason: LibSSH.error(session))
            }
            for isError in [false, true] where isError || available > 0 {
                var piece = Data()
                try Self.drain(channel, stderr: isError, into: &piece, buffer: &buffer, session: session, target: target)
                if !piece.isEmpty { output(piece, isError) }
            }
            keepaliveIfDue(session)
            if available == SSH_EOF { break }
        }
        return ssh_channel_get_exit_status(channel)
    }

    /// Writes `data` to `path` with `mode` (through `cat` on stdin into a temporary file, then
    /// chmod and rename: no SFTP subsystem needed, and readers never see half a file).
    public func upload(data: Data, to path: String, mode: Int = 0o600, timeout: Duration? = nil) async throws {
        let result = try await exec(.writeFile(path: path, mode: mode), stdin: data, timeout: timeout)
        guard result.succeeded else {
            throw SSHError.channelFailed(target: target.description, operation: "uploading \(path)",
                                         reason: "exit status \(result.exitStatus): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    /// Reads whatever is buffered on one stream of `channel` without blocking.
    static func drain(_ channel: OpaquePointer, stderr: Bool, into output: inout Data, buffer: inout [UInt8],
                      session: OpaquePointer, target: SSHTarget) throws {
        while ssh_channel_poll(channel, stderr ? 1 : 0) > 0 {
            let count = buffer.withUnsafeMutableBytes {
                ssh_channel_read_nonblocking(channel, $0.baseAddress, UInt32($0.count), stderr ? 1 : 0)
            }
            if count == SSH_ERROR {
                throw SSHError.channelFailed(target: target.description, operation: "reading", reason: LibSSH.error(session))
            }
            if count <= 0 { return }
            output.append(contentsOf: buffer[0..<Int(count)])
        }
    }

    /// Writes all of `data` (blocking; libssh waits for the peer's window within the session timeout).
    static func writeAll(_ data: Data, to channel: OpaquePointer, session: OpaquePointer, target: SSHTarget) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let chunk = min(32 * 1024, bytes.count - offset)
                let written = ssh_channel_write(channel, bytes.baseAddress! + offset, UInt32(chunk))
                guard written > 0 else {
                    throw SSHError.channelFailed(target: target.description, operation: "writing", reason: LibSSH.error(session))
                }
                offset += Int(written)
            }
        }
    }
}
