import MaiCore
import Testing

@Suite("Secret")
struct SecretTests {
    @Test("never shows its value in descriptions or interpolation")
    func redacted() {
        let secret = Secret("sk-or-v1-very-secret")
        #expect("\(secret)" == "[REDACTED]")
        #expect(String(describing: secret) == "[REDACTED]")
        #expect(String(reflecting: secret) == "[REDACTED]")
        #expect(!"\([secret])".contains("very-secret"))
        #expect(secret.value == "sk-or-v1-very-secret")
    }

    @Test("the version is a semantic version")
    func version() {
        let parts = MaiVersion.current.split(separator: ".")
        #expect(parts.count == 3)
        #expect(parts.allSatisfy { Int($0) != nil })
    }
}
