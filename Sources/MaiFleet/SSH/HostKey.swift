import Crypto
import Foundation

/// An SSH public host key: its algorithm name and base64 blob, as in an OpenSSH `.pub` line.
public struct HostKey: Sendable, Hashable, CustomStringConvertible {
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …
    public let type: String
    /// The key blob, base64 (the second field of a `.pub` line).
    public let base64: String

    /// A key from its parts; nil when the blob is not base64 or does not start with `type`.
    public init?(type: String, base64: String) {
        guard let blob = Data(base64Encoded: base64), HostKey.blobType(blob) == type else { return nil }
        self.type = type
        self.base64 = base64
    }

    /// A key from its blob alone; the type is read from the blob.
    public init?(base64: String) {
        guard let blob = Data(base64Encoded: base64), let type = HostKey.blobType(blob) else { return nil }
        self.init(type: type, base64: base64)
    }

    /// Parses an OpenSSH public key line, `type base64 [comment]`.
    public init?(openSSHLine line: String) {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2 else { return nil }
        self.init(type: String(fields[0]), base64: String(fields[1]))
    }

    /// `SHA256:<base64 without padding>` of the blob — what `ssh-keygen -l` prints.
    public var fingerprint: String {
        let digest = SHA256.hash(data: Data(base64Encoded: base64) ?? Data())
        let encoded = Data(digest).base64EncodedString()
        return "SHA256:" + encoded.trimmingCharacters(in: CharacterSet(charactersIn: "="))
    }

    /// `type base64`, the form a `.pub` file or cloud-init carries.
    public var openSSHLine: String { "\(type) \(base64)" }

    /// `type fingerprint`.
    public var description: String { "\(type) \(fingerprint)" }

    /// Host-key algorithms to offer so the server presents this key's kind (an RSA key may be
    /// signed with SHA-2).
    var hostKeyAlgorithms: String {
        type == "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256,ssh-rsa" : type
    }

    /// The algorithm name that starts every SSH key blob (a uint32 length, then the name).
    private static func blobType(_ blob: Data) -> String? {
        let bytes = [UInt8](blob)
        guard bytes.count >= 4 else { return nil }
        let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard length > 0, length <= 64, bytes.count >= 4 + length else { return nil }
        return String(decoding: bytes[4..<(4 + length)], as: UTF8.self)
    }
}
