import Foundation
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the agent may send a request. Addresses the operator configured in the environment
/// (`OPENROUTER_BASE_URL`, `OLLAMA_BASE_URL`, `RAG_EMBEDDING_BASE_URL`, … and their defaults) are
/// trusted by origin (scheme, host, port). Any other address — one an admin typed into a
/// connection or the embedding settings — must resolve only to public internet addresses:
/// loopback, private, link-local (cloud metadata), CGNAT, unspecified and multicast addresses are
/// refused unless `ALLOW_PRIVATE_PROVIDER_URLS` allows them. Without this an admin of one client
/// could make the agent probe the host's network (and read the answers back as error messages).
struct OutboundPolicy: Sendable {
    /// `scheme://host:port` of every address the environment configures.
    var trustedOrigins: Set<String>
    /// What `ALLOW_PRIVATE_PROVIDER_URLS` allows.
    var allowance: PrivateAddressAllowance

    /// The operator's origins from the provider environment (and `RAG_EMBEDDING_BASE_URL`).
    init(providers: ProviderEnvironment, extraTrustedURLs: [String] = []) {
        var urls = [providers.openRouterBaseURL, providers.openAIBaseURL, providers.anthropicBaseURL, providers.geminiBaseURL]
            .map(\.absoluteString)
        if let ollama = providers.ollamaBaseURL { urls.append(ollama.absoluteString) }
        urls += extraTrustedURLs
        self.trustedOrigins = Set(urls.compactMap(Self.origin))
        self.allowance = providers.privateAddresses
    }

    init(trustedOrigins: Set<String>, allowance: PrivateAddressAllowance) {
        self.trustedOrigins = trustedOrigins
        self.allowance = allowance
    }

    /// `http://127.0.0.1:9090` for `http://127.0.0.1:9090/api/v1/key`; `nil` without a host.
    static func origin(_ url: String) -> String? {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), let host = parsed.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = parsed.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(Self.bare(host)):\(port)"
    }

    /// Whether `url` lies on an origin the operator configured (checked no further).
    func isTrusted(_ url: String) -> Bool {
        Self.origin(url).map(trustedOrigins.contains) ?? false
    }

    /// Refuses `url` unless it is the operator's or every address its host resolves to may be called.
    /// - Throws: `OutboundRefusal` naming the host, the address and why.
    func check(_ url: String) async throws {
        if isTrusted(url) { return }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let rawHost = parsed.host, !rawHost.isEmpty
        else {
            throw OutboundRefusal(host: url, address: nil, kind: "not an http(s) address")
        }
        let host = Self.bare(rawHost.lowercased())
        if allowance.allowsAll || allowance.hosts.contains(host) { return }
        let addresses = try await Self.resolve(host)
        guard !addresses.isEmpty else { throw OutboundRefusal(host: host, address: nil, kind: "unresolvable") }
        for address in addresses {
            guard let kind = IPNetwork.nonPublicKind(of: address) else { continue }
            if allowance.networks.contains(where: { $0.contains(address) }) { continue }
            throw OutboundRefusal(host: host, address: IPNetwork.format(address), kind: kind)
        }
    }

    /// `::1` for `[::1]`.
    static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// Every address `host` resolves to (literal addresses in any form `getaddrinfo` accepts,
    /// such as `2130706433` or `0x7f.1`, included), looked up off the event loops. The HTTP
    /// client resolves again when it connects; see DESIGN.md on the remaining DNS-rebinding window.
    static func resolve(_ host: String) async throws -> [[UInt8]] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else {
                throw OutboundRefusal(host: host, address: nil, kind: "unresolvable")
            }
            defer { freeaddrinfo(first) }
            var addresses: [[UInt8]] = []
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let current = entry?.pointee {
                if current.ai_family == AF_INET, let raw = current.ai_addr {
                    var address = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
                    addresses.append(withUnsafeBytes(of: &address) { Array($0) })
                } else if current.ai_family == AF_INET6, let raw = current.ai_addr {
                    var address = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    addresses.append(withUnsafeBytes(of: &address) { Array($0) })
                }
                entry = current.ai_next
            }
            return addresses
        }
    }
}
