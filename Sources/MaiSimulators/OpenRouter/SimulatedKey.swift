import Crypto
import Foundation

/// An API key the OpenRouter simulator knows: created with `POST /keys`, registered through the
/// control API, or first seen on a request (accepted by prefix).
public struct SimulatedKey: Sendable, Equatable {
    /// The secret, `sk-or-v1-…`.
    public var secret: String
    /// SHA-256 hex of the secret, OpenRouter's key id.
    public var hash: String
    public var name: String
    public var disabled: Bool
    /// Spending limit; `nil` is unlimited.
    public var limit: USDNanos?
    /// `daily`, `weekly`, `monthly` or `nil`.
    public var limitReset: String?
    public var includeByokInLimit: Bool
    public var isManagement: Bool
    public var createdAt: Date
    public var updatedAt: Date?
    public var expiresAt: String?
    /// Listed by `GET /keys` (created there or registered with a name); keys accepted by prefix are not.
    public var listed: Bool
    public var behavior: KeyBehavior

    public init(secret: String, name: String, isManagement: Bool = false, listed: Bool, createdAt: Date, behavior: KeyBehavior = KeyBehavior()) {
        self.secret = secret
        self.hash = SimulatedKey.hash(of: secret)
        self.name = name
        self.disabled = behavior.disabled ?? false
        self.limit = behavior.limit.flatMap { USDNanos(dollars: $0) }
        self.limitReset = nil
        self.includeByokInLimit = false
        self.isManagement = isManagement
        self.createdAt = createdAt
        self.updatedAt = nil
        self.expiresAt = nil
        self.listed = listed
        self.behavior = behavior
    }

    /// SHA-256 hex of `secret`.
    public static func hash(of secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The masked form OpenRouter shows (`sk-or-v1-abc...xyz`).
    public var maskedLabel: String {
        guard secret.count > 15 else { return secret.prefix(4) + "..." }
        return secret.prefix(12) + "..." + secret.suffix(3)
    }

    /// A fresh random secret in OpenRouter's format.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "sk-or-v1-" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
