/// `{ssh_key{id, name, fingerprint, public_key, labels, created}}`.
public struct HetznerSSHKey: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    /// MD5 colon-hex, as Hetzner shows it.
    public var fingerprint: String
    public var publicKey: String
    public var labels: [String: String]
    public var created: String

    enum CodingKeys: String, CodingKey { case id, name, fingerprint, publicKey = "public_key", labels, created }
}
