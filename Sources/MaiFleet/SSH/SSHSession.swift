import CLibSSH
import Dispatch
import Foundation

/// One authenticated SSH connection to one host.
///
/// libssh is blocking C and a session is not thread-safe, so every libssh call for a session runs
/// on that session's own serial `DispatchQueue` — never on Swift concurrency's cooperative pool —
/// and is exposed as `async`. Operations on one session run one after another; fan out across
/// hosts with `withBoundedParallelism`.
public final class SSHSession: TunnelOpening, @unchecked Sendable {
    /// Where this session is connected.
    public let target: SSHTarget
    /// Timeouts and policy it was opened with.
    public let options: SSHOptions

    let queue: DispatchQueue
    // Touched only on `queue`.
    var session: OpaquePointer?
    var lastActivity = ContinuousClock.now
    private var keepalive: DispatchSourceTimer?

    private init(target: SSHTarget, options: SSHOptions, session: OpaquePointer, queue: DispatchQueue) {
        self.target = target
        self.options = options
        self.session = session
        self.queue = queue
    }

    /// Connects, checks the host key against `knownHosts` (by server id) under
    /// `options.hostKeyPolicy`, and authenticates.
    public static func connect(to target: SSHTarget, credentials: SSHCredentials, knownHosts: KnownHostsFile,
                               options: SSHOptions = SSHOptions()) async throws -> SSHSession {
        let queue = DispatchQueue(label: "mai.ssh.\(target.serverID)")
        let session: OpaquePointer = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    try handshake(target: target, credentials: credentials, knownHosts: knownHosts, options: options)
                })
            }
        }
        let connected = SSHSession(target: target, options: options, session: session, queue: queue)
        connected.startKeepalive()
        return connected
    }

    /// Disconnects (idempotent). Open tunnels stop working.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.closeOnQueue()
                continuation.resume()
            }
        }
    }

    deinit {
        keepalive?.cancel()
        if let session {
            // Possibly running on `queue` itself: free asynchronously, never `sync`.
            let pointer = UnsafeSendablePointer(session)
            queue.async {
                ssh_disconnect(pointer.value)
                ssh_free(pointer.value)
            }
        }
    }

    /// Runs `body` on the session's queue with the live session; `flag` is set if the calling
    /// task is cancelled, and long loops check it.
    func run<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer, CancellationFlag) throws -> T) async throws -> T {
        let flag = CancellationFlag()
        let target = self.target
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    guard let session = self.session else {
                        continuation.resume(throwing: SSHError.sessionClosed(target: target.description))
                        return
                    }
                    continuation.resume(with: Result { try body(session, flag) })
                    self.lastActivity = .now
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }

    /// Sends a keepalive if the session has been quiet for a keepalive interval (on `queue`).
    func keepaliveIfDue(_ session: OpaquePointer) {
        guard let interval = options.keepaliveInterval, ContinuousClock.now - lastActivity >= interval else { return }
        _ = ssh_send_ignore(session, "keepalive")
        lastActivity = .now
    }

    func closeOnQueue() {
        keepalive?.cancel()
        keepalive = nil
        guard let session else { return }
        self.session = nil
        ssh_disconnect(session)
        ssh_free(session)
    }

    private func startKeepalive() {
        guard let interval = options.keepaliveInterval else { return }
        let milliseconds = max(100, Int(interval.seconds * 1000))
        queue.async {
            let timer = DispatchSource.makeTimerSource(queue: self.queue)
            timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds))
            timer.setEventHandler { [weak self] in
                guard let self, let session = self.session else { return }
                self.keepaliveIfDue(session)
                if ssh_is_connected(session) == 0 { self.closeOnQueue() }
            }
            self.keepalive = timer
            timer.resume()
        }
    }

    /// Connect, verify, authenticate — blocking, on the session's queue.
    private static func handshake(target: SSHTarget, credentials: SSHCredentials, knownHosts: KnownHostsFile,
                                  options: SSHOptions) throws -> OpaquePointer {
        precondition(LibSSH.initialized, "libssh failed to initialise")
        guard let session = ssh_new() else {
            throw SSHError.connectFailed(target: target.description, reason: "libssh could not allocate a session")
        }
        var handedOver = false
        defer {
            if !handedOver {
                ssh_disconnect(session)
                ssh_free(session)
            }
        }
        let pinned = try knownHosts.key(for: target.serverID)
        let configured = LibSSH.set(session, SSH_OPTIONS_HOST, target.host)
            && LibSSH.set(session, SSH_OPTIONS_PORT, value: UInt32(target.port))
            && LibSSH.set(session, SSH_OPTIONS_USER, target.user)
            && LibSSH.set(session, SSH_OPTIONS_TIMEOUT, value: max(1, Int(options.connectTimeout.seconds.rounded(.up))))
            && LibSSH.set(session, SSH_OPTIONS_LOG_VERBOSITY, value: Int32(SSH_LOG_NOLOG))
            // maictl's own pins are the only trust: never read ~/.ssh/config or OpenSSH's known_hosts.
            && LibSSH.set(session, SSH_OPTIONS_PROCESS_CONFIG, value: false)
            && LibSSH.set(session, SSH_OPTIONS_KNOWNHOSTS, "/dev/null")
            && LibSSH.set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")
            // Ask for the pinned key's algorithm, so a host with several keys presents that one.
            // (Not when re-pinning a verified fingerprint: the new key may be of another type.)
            && (options.hostKeyPolicy.asksForPinnedAlgorithm ? pinned.map { LibSSH.set(session, SSH_OPTIONS_HOSTKEYS, $0.hostKeyAlgorithms) } ?? true : true)
        guard configured else {
            throw SSHError.connectFailed(target: target.description, reason: "invalid SSH options: \(LibSSH.error(session))")
        }
        guard ssh_connect(session) == SSH_OK else {
            throw SSHError.connectFailed(target: target.description, reason: LibSSH.error(session))
        }
        guard let presented = LibSSH.serverHostKey(session) else {
            throw SSHError.connectFailed(target: target.description, reason: "the server's host key could not be read")
        }
        switch options.hostKeyPolicy.verdict(serverID: target.serverID, presented: presented, pinned: pinned) {
        case .accept: break
        case .pinAndAccept: try knownHosts.pin(serverID: target.serverID, publicKey: presented)
        case .reject(let error): throw error
        }
        try authenticate(session, target: target, credentials: credentials)
        handedOver = true
        return session
    }

    private static func authenticate(_ session: OpaquePointer, target: SSHTarget, credentials: SSHCredentials) throws {
        let result: Int32
        switch credentials {
        case .keyFile(let path, let passphrase):
            var key: OpaquePointer?
            let imported = ssh_pki_import_privkey_file(path, passphrase?.value, nil, nil, &key)
            guard imported == SSH_OK, let key else { throw SSHError.keyFileUnreadable(path: path) }
            defer { ssh_key_free(key) }
            result = ssh_userauth_publickey(session, nil, key)
        case .agent(let socket):
            if let socket, !LibSSH.set(session, SSH_OPTIONS_IDENTITY_AGENT, socket) {
                throw SSHError.authenticationFailed(target: target.description, credentials: credentials.description,
                                                    reason: LibSSH.error(session))
            }
            result = ssh_userauth_agent(session, nil)
        }
        guard result == SSH_AUTH_SUCCESS.rawValue else {
            let reason = result == SSH_AUTH_DENIED.rawValue ? "the server denied the key" : LibSSH.error(session)
            throw SSHError.authenticationFailed(target: target.description, credentials: credentials.description, reason: reason)
        }
    }
}

/// Carries a libssh pointer into a queue block (it is only ever used on that queue).
struct UnsafeSendablePointer: @unchecked Sendable {
    let value: OpaquePointer
    init(_ value: OpaquePointer) { self.value = value }
}
