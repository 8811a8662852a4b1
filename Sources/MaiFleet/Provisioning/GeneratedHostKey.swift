import Crypto
import Foundation
import MaiCore

/// An ed25519 SSH host key made by maictl for a new server: the private half goes to the server in
/// cloud-init (`ssh_keys`), the public half is pinned in maictl's known_hosts under the server's id
/// before the first connection — so there is no trust on first use. The private half is never stored
/// by maictl.
public struct GeneratedHostKey: Sendable {
    /// The public key (`ssh-ed25519 AAAA…`).
    public let publicKey: HostKey
    /// The OpenSSH private key file (`-----BEGIN OPENSSH PRIVATE KEY-----`), unencrypted.
    public let privateKeyPEM: Secret

    /// A fresh key from the system's cryptographic generator.
    public init(comment: String = "") {
        self.init(privateKey: Curve25519.Signing.PrivateKey(), comment: comment)
    }

    /// The key for `privateKey` (tests pass a fixed one).
    public init(privateKey: Curve25519.Signing.PrivateKey, comment: String = "") {
        let seed = privateKey.rawRepresentation
        let publicBytes = privateKey.publicKey.rawRepresentation
        var publicBlob = SSHWire()
        publicBlob.string("ssh-ed25519")
        publicBlob.bytes(publicBytes)
        publicKey = HostKey(type: "ssh-ed25519", base64: publicBlob.data.base64EncodedString())!

        // openssh-key-v1, cipher and KDF "none": PROTOCOL.key in OpenSSH's sources.
        var privateSection = SSHWire()
        let check = UInt32.random(in: .min ... .max)
        privateSection.uint32(check)
        privateSection.uint32(check)
        privateSection.string("ssh-ed25519")
        privateSection.bytes(publicBytes)
        privateSection.bytes(seed + publicBytes)
        privateSection.string(comment)
        var pad: UInt8 = 1
        while privateSection.data.count % 8 != 0 {
            privateSection.data.append(pad)
            pad += 1
        }
        var file = SSHWire()
        file.data.append(contentsOf: Array("openssh-key-v1".utf8) + [0])
        file.string("none")
        file.string("none")
        file.string("")
        file.uint32(1)
        file.bytes(publicBlob.data)
        file.bytes(privateSection.data)
        let encoded = file.data.base64EncodedString()
        var lines = ["-----BEGIN OPENSSH PRIVATE KEY-----"]
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 70, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        lines.append("-----END OPENSSH PRIVATE KEY-----")
        privateKeyPEM = Secret(lines.joined(separator: "\n") + "\n")
    }
}

/// SSH wire encoding: big-endian uint32 and length-prefixed strings.
struct SSHWire {
    var data = Data()

    mutating func uint32(_ value: UInt32) {
        data.append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }

    mutating func bytes(_ bytes: Data) {
        uint32(UInt32(bytes.count))
        data.append(bytes)
    }

    mutating func string(_ text: String) {
        bytes(Data(text.utf8))
    }
}
