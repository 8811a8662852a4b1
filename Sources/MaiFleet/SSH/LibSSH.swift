import CLibSSH
import Foundation
import Synchronization

/// Small helpers over the libssh C API. Every function here is called on a session's own queue.
enum LibSSH {
    /// `ssh_init` once per process (libssh's global crypto state).
    static let initialized: Bool = ssh_init() == SSH_OK

    /// libssh's last error text for `session`.
    static func error(_ session: OpaquePointer) -> String {
        String(cString: ssh_get_error(UnsafeMutableRawPointer(session)))
    }

    static func set(_ session: OpaquePointer, _ option: ssh_options_e, _ value: String) -> Bool {
        value.withCString { ssh_options_set(session, option, $0) } == SSH_OK
    }

    static func set<Value>(_ session: OpaquePointer, _ option: ssh_options_e, value: Value) -> Bool {
        var value = value
        return withUnsafePointer(to: &value) { ssh_options_set(session, option, $0) } == SSH_OK
    }

    /// The server's host key, as an OpenSSH blob.
    static func serverHostKey(_ session: OpaquePointer) -> HostKey? {
        var key: OpaquePointer?
        guard ssh_get_server_publickey(session, &key) == SSH_OK, let key else { return nil }
        defer { ssh_key_free(key) }
        var encoded: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &encoded) == SSH_OK, let encoded else { return nil }
        defer { ssh_string_free_char(encoded) }
        return HostKey(base64: String(cString: encoded))
    }
}

/// Set from a task's cancellation handler, read by the blocking loops on a session's queue.
final class CancellationFlag: Sendable {
    private let flag = Atomic(false)
    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}
