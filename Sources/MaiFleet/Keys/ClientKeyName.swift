import Foundation

/// How maictl recognises a client's own OpenRouter key: by the name `keys create` and `keys rotate`
/// give it, `mai-<slug>-<YYYY-MM-DD>` (`KeyRotation.keyName`). Anything else — a fleet-wide key,
/// a key made by hand, another client's key — is not the client's to change or disable.
public enum ClientKeyName {
    /// Whether `name` is one of `client`'s own keys: `mai-<client>-` followed by a day. The day is
    /// what keeps `mai-acme-eu-2026-12-01` (client `acme-eu`) from counting as `acme`'s.
    public static func isOwn(_ name: String, client: String) -> Bool {
        let prefix = "mai-\(client)-"
        guard name.hasPrefix(prefix) else { return false }
        let rest = Array(name.dropFirst(prefix.count).utf8)
        guard rest.count >= 10 else { return false }
        let digit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let isDay = rest[0..<10].enumerated().allSatisfy { index, byte in
            index == 4 || index == 7 ? byte == UInt8(ascii: "-") : digit(byte)
        }
        // A suffix after the day (`-b`, made by hand on the same day) still names the client.
        return isDay && (rest.count == 10 || rest[10] == UInt8(ascii: "-"))
    }

    /// What the operator is told a client's own keys look like.
    public static func pattern(client: String) -> String { "mai-\(client)-<YYYY-MM-DD>" }
}
