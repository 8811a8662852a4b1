import Foundation
import Testing

@testable import MaiAgent

@Suite("Configuration")
struct ConfigTests {
    @Test("defaults match the documented ones")
    func defaults() throws {
        let config = try AgentConfig(environment: [:])
        #expect(config.port == 8080)
        #expect(config.host == "127.0.0.1")
        #expect(config.mode == .dev)
        #expect(config.name == "mAI")
        #expect(config.dataDirectory == "./data")
        #expect(config.databasePath == "./data/webui.db")
        #expect(config.jwtExpiresIn.seconds == 900)
        #expect(config.enableSignup)
        #expect(config.defaultUserRole == .pending)
        #expect(config.markupRate == "1.3")
        #expect(config.usageSyncInterval == 600)
        #expect(config.adminBind.host == "127.0.0.1" && config.adminBind.port == 8081)
        #expect(config.bcryptCost >= 12)
        #expect(!config.secureCookies)
    }

    @Test(
        "an invalid value names its variable",
        arguments: [
            ("PORT", "abc"), ("PORT", "0"), ("PORT", "70000"), ("ENV", "staging"), ("JWT_EXPIRES_IN", "soon"),
            ("JWT_EXPIRES_IN", "15"), ("JWT_EXPIRES_IN", "0m"), ("ENABLE_SIGNUP", "maybe"), ("DEFAULT_USER_ROLE", "admin"),
            ("DEFAULT_USER_ROLE", "boss"), ("WEBUI_URL", "ftp://x"), ("WEBUI_SECRET_KEY", "short"),
            ("DATABASE_URL", "postgres://db/x"), ("MARKUP_RATE", "1,3"), ("MARKUP_RATE", "-1"), ("MARKUP_RATE", "0"),
            ("USAGE_SYNC_INTERVAL", "fast"), ("ADMIN_BIND", "8081"), ("LOG_LEVEL", "loud"), ("OPENROUTER_BASE_URL", "openrouter"),
            ("REFRESH_TOKEN_EXPIRES_IN", "-1"),
        ]
    )
    func invalid(variable: String, value: String) {
        #expect {
            _ = try AgentConfig(environment: [variable: value])
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.variable == variable && error.description.hasPrefix("\(variable): ") && !error.description.contains("\n")
        }
    }

    @Test("valid values are read", arguments: [("15m", Int64(900)), ("1h30m", 5400), ("4w", 2_419_200), ("30s", 30), ("2d", 172_800)])
    func lifetimes(text: String, seconds: Int64) throws {
        #expect(TokenLifetime(parsing: text)?.seconds == seconds)
        let config = try AgentConfig(environment: ["JWT_EXPIRES_IN": text])
        #expect(config.jwtExpiresIn.seconds == seconds)
    }

    @Test("-1 means tokens without expiry")
    func neverExpires() throws {
        #expect(try AgentConfig(environment: ["JWT_EXPIRES_IN": "-1"]).jwtExpiresIn.seconds == nil)
    }

    @Test("DATABASE_URL and https WEBUI_URL")
    func urls() throws {
        let config = try AgentConfig(environment: ["DATABASE_URL": "sqlite:////var/lib/mai/db.sqlite", "WEBUI_URL": "https://chat.acme.example", "ENV": "PROD"])
        #expect(config.databasePath == "/var/lib/mai/db.sqlite")
        #expect(config.secureCookies)
        #expect(config.mode == .prod)
    }

    @Test("the data directory must be writable")
    func unwritableDataDirectory() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mai-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for path in [file.path, file.appendingPathComponent("below").path] {
            #expect {
                _ = try DataDirectory(preparing: path)
            } throws: { ($0 as? ConfigError)?.variable == "DATA_DIR" }
        }
    }

    @Test("the secret key is generated once, 0600, and reused")
    func secretKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mai-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = try DataDirectory(preparing: path)
        let first = try directory.secretKey(configured: nil)
        let second = try DataDirectory(preparing: path).secretKey(configured: nil)
        #expect(first.value == second.value)
        #expect(first.value.utf8.count >= 32)
        let file = (path as NSString).appendingPathComponent(DataDirectory.secretKeyFileName)
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // An explicit key wins and is not written.
        let explicit = String(repeating: "k", count: 40)
        #expect(try directory.secretKey(configured: .init(explicit)).value == explicit)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == first.value)
    }
}
