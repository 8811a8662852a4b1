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
            guard let channel = ssh_channel_new(session) else {
                throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: LibSSH.error(session))
            }
            defer { ssh_channel_free(channel) }
            guard ssh_channel_open_session(channel) == SSH_OK else {
                throw SSHError.channelFailed(target: target.description, operation: "opening a channel", reason: LibSSH.error(session))
            }
            defer { ssh_channel_close(channel) }
            guard ssh_channel_request_exec(channel, sent.commandLine) == SSH_OK else {
                throw SSHError.channelFailed(target: target.description, operation: "starting `\(command)`", reason: LibSSH.error(session))
            }
            if let stdin {
                try Self.writeAll(stdin, to: channel, session: session, target: target)
            }
            _ = ssh_channel_send_eof(channel)

            var stdout = Data()
            var stderr = Data()
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                if cancelled.isCancelled { throw SSHError.sessionClosed(target: target.description) }
                let now = ContinuousClock.now
                if now >= deadline {
                    // Works for non-root users; OpenSSH refuses signals to root sessions.
                    _ = ssh_channel_request_send_signal(channel, "TERM")
                    throw SSHError.commandTimedOut(target: target.description, command: command.commandLine, seconds: limit.seconds)
                }
                let slice = min(Duration.milliseconds(200), deadline - now)
                let available = ssh_channel_poll_timeout(channel, Int32(max(1, slice.seconds * 1000)), 0)
                if available == SSH_ERROR {
                    throw SSHError.channelFailed(target: target.description, operation: "reading `\(command)`", reason: LibSSH.error(session))
                }
                if available > 0 {
                    try Self.drain(channel, stderr: false, into: &stdout, buffer: &buffer, session: session, target: target)
                }
                try Self.drain(channel, stderr: true, into: &stderr, buffer: &buffer, session: session, target: target)
                self.keepaliveIfDue(session)
                if available == SSH_EOF { break }
            }
            return ExecResult(exitStatus: ssh_channel_get_exit_status(channel), stdout: stdout, stderr: stderr)
        }
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
