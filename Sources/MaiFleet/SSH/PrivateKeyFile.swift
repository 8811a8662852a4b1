import Foundation

/// What maictl needs to know about a private key file before handing it to libssh.
public enum PrivateKeyFile {
    /// Whether the key at `path` is protected by a passphrase: an OpenSSH key whose cipher is not
    /// `none`, or a PEM key marked `ENCRYPTED`. An unreadable file answers false (libssh then
    /// reports it with its own clear error).
    public static func isEncrypted(atPath path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return isEncrypted(text: text)
    }

    /// The same, from the file's text (pure, unit-tested against ssh-keygen's output).
    public static func isEncrypted(text: String) -> Bool {
        let begin = "-----BEGIN OPENSSH PRIVATE KEY-----", end = "-----END OPENSSH PRIVATE KEY-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex) else {
            // PEM (PKCS#1 "Proc-Type: 4,ENCRYPTED" or PKCS#8 "BEGIN ENCRYPTED PRIVATE KEY").
            return text.contains("ENCRYPTED")
        }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: String(body)) else { return false }
        let bytes = [UInt8](data)
        let magic = Array("openssh-key-v1\0".utf8)
        guard bytes.count > magic.count + 4, Array(bytes[0..<magic.count]) == magic else { return false }
        let offset = magic.count
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length > 0, offset + 4 + length <= bytes.count else { return false }
        let cipher = String(decoding: bytes[(offset + 4)..<(offset + 4 + length)], as: UTF8.self)
        return cipher != "none"
    }
}
