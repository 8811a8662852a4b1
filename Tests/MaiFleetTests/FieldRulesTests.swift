import MaiCore
import Testing
@testable import MaiFleet

@Suite struct FieldRulesTests {
    @Test(arguments: ["acme", "abc", "a-1", "globex-eu-2", "a" + String(repeating: "b", count: 31)])
    func validSlugs(slug: String) {
        #expect(FieldRules.isSlug(slug))
    }

    @Test(arguments: ["ab", "1acme", "acme-", "Acme", "ac_me", "ac.me", "", "a" + String(repeating: "b", count: 32), "acmé"])
    func invalidSlugs(slug: String) {
        #expect(!FieldRules.isSlug(slug))
    }

    @Test func hostnames() {
        #expect(FieldRules.hostname("Chat.Acme.Example") == "chat.acme.example")
        #expect(FieldRules.hostname("xn--bcher-kva.example") == "xn--bcher-kva.example")
        for bad in ["acme", "-a.example", "a-.example", "a..example", "a.example.", "a b.example", "198.51.100.1", "a_b.example",
                    String(repeating: "a", count: 64) + ".example"] {
            #expect(FieldRules.hostname(bad) == nil, "\(bad)")
        }
    }

    @Test func emails() {
        #expect(FieldRules.email(" Admin@Acme.Example ") == "admin@acme.example")
        #expect(FieldRules.email("first.last+tag@acme.example") == "first.last+tag@acme.example")
        for bad in ["admin", "admin@", "@acme.example", "a@@acme.example", "a@acme", ".a@acme.example", "a..b@acme.example", "a b@acme.example"] {
            #expect(FieldRules.email(bad) == nil, "\(bad)")
        }
    }

    @Test func hostsAndCIDRs() {
        #expect(FieldRules.host("198.51.100.11") == "198.51.100.11")
        #expect(FieldRules.host("2001:DB8::1") == "2001:db8::1")
        #expect(FieldRules.host("host1.test.example") == "host1.test.example")
        #expect(FieldRules.host("198.51.100.300") == nil)
        #expect(FieldRules.host("not a host") == nil)
        #expect(FieldRules.cidrProblem("198.51.100.0/24") == nil)
        #expect(FieldRules.cidrProblem("0.0.0.0/0") == nil)
        #expect(FieldRules.cidrProblem("::/0") == nil)
        #expect(FieldRules.cidrProblem("2001:db8::/32") == nil)
        #expect(FieldRules.cidrProblem("198.51.100.7/32") == nil)
        #expect(FieldRules.cidrProblem("198.51.100.0/33") != nil)
        #expect(FieldRules.cidrProblem("198.51.100.0") != nil)
        #expect(FieldRules.cidrProblem("198.51.100.0/+8") != nil)
    }

    @Test func decimalsAndRates() {
        #expect(FieldRules.decimal("50", maxDecimals: 2, scale: 9) == 50_000_000_000)
        #expect(FieldRules.decimal("0.05", maxDecimals: 2, scale: 9) == 50_000_000)
        #expect(FieldRules.decimal("0.055", maxDecimals: 2, scale: 9) == nil)
        for bad in ["", ".5", "5.", "-1", "+1", "1e3", " 1", "1,5"] {
            #expect(FieldRules.decimal(bad, maxDecimals: 6, scale: 6) == nil, "\(bad)")
        }
        #expect(MarkupRate(decimal: "1.3")?.millionths == 1_300_000)
        #expect(MarkupRate(decimal: "1.123456")?.description == "1.123456")
        #expect(MarkupRate(decimal: "2")?.description == "2")
        #expect(MarkupRate(decimal: "0.000001") != nil)
        #expect(MarkupRate(decimal: "0") == nil)
        #expect(MarkupRate(decimal: "0.0000001") == nil)
    }

    @Test func imagesTagsDurations() {
        #expect(FieldRules.isImageName("mai-agent"))
        #expect(FieldRules.isImageName("registry.example.com:5000/mai/agent"))
        #expect(!FieldRules.isImageName("Mai-Agent"))
        #expect(!FieldRules.isImageName("mai//agent"))
        #expect(FieldRules.isImageTag("0.1.0-rc.1"))
        #expect(!FieldRules.isImageTag(".hidden"))
        #expect(!FieldRules.isImageTag("a b"))
        #expect(FieldRules.durationSeconds("15m") == 900)
        #expect(FieldRules.durationSeconds("1h") == 3600)
        #expect(FieldRules.durationSeconds("30s") == 30)
        #expect(FieldRules.durationSeconds("15") == nil)
        #expect(FieldRules.durationSeconds("0m") == nil)
        #expect(FieldRules.durationSeconds("-5m") == nil)
    }

    @Test func suggestions() {
        #expect(KeySuggestion.closest(to: "servr_type", among: ClientSpec.keys) == "server_type")
        #expect(KeySuggestion.closest(to: "Domain", among: ClientSpec.keys) == "domain")
        #expect(KeySuggestion.closest(to: "hots", among: ClientSpec.keys) == "host")
        #expect(KeySuggestion.closest(to: "colour", among: ClientSpec.keys) == nil)
        #expect(KeySuggestion.editDistance(Array("kitten"), Array("sitting")) == 3)
    }
}
