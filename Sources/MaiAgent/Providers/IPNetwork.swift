#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network such as `10.0.0.0/8` or `fd00::/8`; a bare address is a network of
/// one host. Addresses are their network-order bytes (4 or 16).
struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    /// The network's bytes with the host bits cleared.
    let bytes: [UInt8]
    let prefix: Int

    /// Parses `address` or `address/prefix`; `nil` for anything else.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.address(String(parts[0])) else { return nil }
        var prefix = address.count * 8
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...prefix).contains(value) else { return nil }
            prefix = value
        }
        self.init(bytes: address, prefix: prefix)
    }

    init(bytes: [UInt8], prefix: Int) {
        self.prefix = prefix
        self.bytes = bytes.enumerated().map { index, byte in byte & Self.mask(index: index, prefix: prefix) }
    }

    /// Whether `address` (4 or 16 bytes) lies in this network; an IPv4 address is never in an
    /// IPv6 network or the other way round.
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        for index in address.indices where address[index] & Self.mask(index: index, prefix: prefix) != bytes[index] {
            return false
        }
        return true
    }

    var description: String { "\(Self.format(bytes))/\(prefix)" }

    private static func mask(index: Int, prefix: Int) -> UInt8 {
        let bits = min(max(prefix - index * 8, 0), 8)
        return bits == 0 ? 0 : ~UInt8(0) << (8 - bits)
    }

    /// The bytes of a literal IPv4 or IPv6 address (brackets allowed), or `nil`.
    static func address(_ text: String) -> [UInt8]? {
        var text = text
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// `127.0.0.1`, `fe80::1`.
    static func format(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        guard ok else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Address ranges that are not the public internet, with the words an admin is told.
    /// Cloud metadata services live in link-local (169.254.169.254, AWS's fd00:ec2::254 in
    /// unique-local) and CGNAT space (Alibaba's 100.100.100.200).
    static let nonPublic: [(network: IPNetwork, kind: String)] = [
        ("0.0.0.0/8", "unspecified"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local (cloud metadata)"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "special-purpose"), ("192.168.0.0/16", "private"), ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"), ("::1/128", "loopback"), ("fe80::/10", "link-local"), ("fc00::/7", "unique-local (private)"),
        ("fec0::/10", "site-local"), ("ff00::/8", "multicast"),
    ].map { (IPNetwork($0.0)!, $0.1) }

    /// IPv6 ranges that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
    /// NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`): the IPv4 address decides.
    private static let embedding: [(network: IPNetwork, offset: Int)] = [
        (IPNetwork("::ffff:0:0/96")!, 12), (IPNetwork("::/96")!, 12), (IPNetwork("64:ff9b::/96")!, 12), (IPNetwork("2002::/16")!, 2),
    ]

    /// Why `address` is not a public internet address (`"loopback"`, …), or `nil` when it is one.
    static func nonPublicKind(of address: [UInt8]) -> String? {
        if let kind = nonPublic.first(where: { $0.network.contains(address) })?.kind { return kind }
        if address.count == 16, let embedded = embedding.first(where: { $0.network.contains(address) }) {
            return nonPublicKind(of: Array(address[embedded.offset..<embedded.offset + 4]))
        }
        return nil
    }
}
