import Foundation
import Testing

@testable import MaiAgent

/// The pure parts: which addresses are public, the operator's allowance, message sanitising.
@Suite("Outbound policy")
struct OutboundPolicyTests {
    @Test("non-public IPv4 and IPv6 addresses are recognised, public ones pass")
    func addressClasses() {
        let nonPublic = [
            "127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1",
            "100.100.100.200", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "::1", "fe80::1", "fc00::1", "fd00:ec2::254",
            "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "ff02::1",
        ]
        for text in nonPublic {
            let address = IPNetwork.address(text)
            #expect(address != nil && IPNetwork.nonPublicKind(of: address!) != nil, "\(text) should not be public")
        }
        for text in ["8.8.8.8", "1.1.1.1", "172.32.0.1", "172.15.255.255", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "198.51.100.7"] {
            let address = IPNetwork.address(text)
            #expect(address != nil && IPNetwork.nonPublicKind(of: address!) == nil, "\(text) should be public")
        }
        #expect(IPNetwork.nonPublicKind(of: IPNetwork.address("169.254.169.254")!) == "link-local (cloud metadata)")
        #expect(IPNetwork("10.0.0.0/8")!.contains(IPNetwork.address("10.200.1.1")!))
        #expect(!IPNetwork("10.0.0.0/8")!.contains(IPNetwork.address("11.0.0.1")!))
        #expect(IPNetwork("10.1.2.3/8")!.description == "10.0.0.0/8")
    }

    @Test("ALLOW_PRIVATE_PROVIDER_URLS: all, none, or a list of hosts and networks; anything else stops start-up")
    func allowance() throws {
        #expect(try PrivateAddressAllowance.parse("1").get().allowsAll)
        #expect(try PrivateAddressAllowance.parse(nil).get() == .none)
        #expect(try PrivateAddressAllowance.parse("false").get() == .none)
        let listed = try PrivateAddressAllowance.parse("ollama.service, 10.0.0.0/8,::1").get()
        #expect(!listed.allowsAll && listed.hosts == ["ollama.service"] && listed.networks.map(\.description) == ["10.0.0.0/8", "::1/128"])
        for bad in ["10.0.0.0/33", "foo bar", "http://x"] {
            if case .success = PrivateAddressAllowance.parse(bad) { Issue.record("'\(bad)' was accepted") }
        }
        #expect(throws: ConfigError.self) { try AgentConfig(environment: ["ALLOW_PRIVATE_PROVIDER_URLS": "10.0.0.0/99"]) }
    }

    @Test("the operator's origins are trusted; other loopback addresses are refused unless allowed")
    func policy() async throws {
        let policy = OutboundPolicy(trustedOrigins: [OutboundPolicy.origin("http://127.0.0.1:9090/api/v1")!], allowance: .none)
        try await policy.check("http://127.0.0.1:9090/api/v1/key")
        await #expect(throws: OutboundRefusal.self) { try await policy.check("http://127.0.0.1:9091/api/v1/key") }
        await #expect(throws: OutboundRefusal.self) { try await policy.check("http://localhost:9090/api/v1/key") }
        await #expect(throws: OutboundRefusal.self) { try await policy.check("ftp://example.com/") }
        let allowed = OutboundPolicy(trustedOrigins: [], allowance: try PrivateAddressAllowance.parse("localhost,127.0.0.0/8").get())
        try await allowed.check("http://localhost:1/v1")
        try await allowed.check("http://127.0.0.1:1/v1")
        await #expect(throws: OutboundRefusal.self) { try await allowed.check("http://10.0.0.1/v1") }
    }

    @Test("error bodies become the provider's message or the bare status, one short clean line")
    func upstreamMessages() {
        #expect(UpstreamHTTP.upstreamMessage("<html>secret internal page</html>", status: 500) == "HTTP 500 without an error message")
        #expect(UpstreamHTTP.upstreamMessage(#"{"message":"service detail"}"#, status: 500) == "HTTP 500 without an error message")
        #expect(UpstreamHTTP.upstreamMessage(#"{"error":{"message":"Invalid key"}}"#, status: 401) == "Invalid key")
        #expect(UpstreamHTTP.upstreamMessage(#"{"error":"model 'x' not found"}"#, status: 404) == "model 'x' not found")
        #expect(UpstreamHTTP.upstreamMessage(#"{"error":{"message":"a\u001b[2J\r\nb\u0000c"}}"#, status: 400) == "a [2J b c")
        let long = UpstreamHTTP.upstreamMessage(#"{"error":{"message":"\#(String(repeating: "x", count: 5000))"}}"#, status: 400)
        #expect(long.count == 200)
    }
}
