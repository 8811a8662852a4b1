import Foundation

/// The checks fleet-file values must pass. Pure functions: each returns the normalised value, or
/// `nil` when the text does not qualify (the caller words the message).
public enum FieldRules {
    /// `allow_private_provider_urls`: `1`/`true`/`all` or comma-separated host names, IP addresses and
    /// CIDR networks — what the agent's `ALLOW_PRIVATE_PROVIDER_URLS` accepts; nil otherwise.
    public static func privateAddressAllowance(_ text: String) -> String? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if ["1", "true", "yes", "on", "all", "*"].contains(value) { return value }
        let entries = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !entries.isEmpty, value.count <= 1000 else { return nil }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-.:/")
        for entry in entries {
            guard entry.allSatisfy({ allowed.contains($0) }), entry.count <= 253 else { return nil }
            let address = entry.split(separator: "/", maxSplits: 1)
            if address.count == 2 {
                guard let bits = Int(address[1]), bits >= 0, bits <= (address[0].contains(":") ? 128 : 32),
                      addressBytes(String(address[0])) != nil else { return nil }
            } else if host(entry) == nil {
                return nil
            }
        }
        return entries.joined(separator: ",")
    }

    /// Client slugs: `^[a-z][a-z0-9-]{1,30}[a-z0-9]$` (3–32 characters, DNS- and label-safe).
    public static func isSlug(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard (3...32).contains(scalars.count), let first = scalars.first, let last = scalars.last,
              ("a"..."z").contains(first), isLowerAlnum(last)
        else { return false }
        return scalars.allSatisfy { isLowerAlnum($0) || $0 == "-" }
    }

    /// A DNS hostname of at least two labels (`chat.acme.example`), lower-cased; `nil` if invalid.
    public static func hostname(_ text: String) -> String? {
        let name = text.lowercased()
        guard !name.isEmpty, name.utf8.count <= 253 else { return nil }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.unicodeScalars.allSatisfy({ isLowerAlnum($0) || $0 == "-" })
            else { return nil }
        }
        // A numeric top-level label makes it an address, not a name.
        guard let top = labels.last, !top.allSatisfy(\.isNumber) else { return nil }
        return name
    }

    /// An e-mail address, trimmed and lower-cased; `nil` if it is not `local@host.domain`.
    public static func email(_ text: String) -> String? {
        let address = text.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let domain = hostname(String(parts[1])) else { return nil }
        let local = parts[0]
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.!#$%&'*+/=?^_`{|}~-".unicodeScalars)
        guard (1...64).contains(local.utf8.count), local.first != ".", local.last != ".",
              !local.contains(".."), local.unicodeScalars.allSatisfy(allowed.contains)
        else { return nil }
        return "\(local)@\(domain)"
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 literal, or `nil`.
    public static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if text.contains("."), !text.contains(":"), inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if text.contains(":"), inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// An IP address literal or a hostname, normalised; `nil` if neither.
    public static func host(_ text: String) -> String? {
        if addressBytes(text) != nil { return text.lowercased() }
        return hostname(text)
    }

    /// Why `text` is not a network in CIDR form (`203.0.113.0/24`, `2001:db8::/32`); `nil` if it is.
    public static func cidrProblem(_ text: String) -> String? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bytes = addressBytes(String(parts[0])),
              let prefix = Int(parts[1]), parts[1].allSatisfy(\.isNumber)
        else { return "\"\(text)\" is not a network in CIDR form — write e.g. \"203.0.113.0/24\" or \"2001:db8::/32\"" }
        let bits = bytes.count * 8
        guard (0...bits).contains(prefix) else {
            return "\"\(text)\": the prefix length must be 0–\(bits)"
        }
        for bit in prefix..<bits where bytes[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            return "\"\(text)\" has host bits set after /\(prefix) — write the network address"
        }
        return nil
    }

    /// A non-negative decimal with at most `maxDecimals` decimals, as (whole units × 10^scale).
    /// Returns `nil` for anything else (signs, exponents, spaces, too many decimals).
    public static func decimal(_ text: String, maxDecimals: Int, scale: Int) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return nil }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.count <= maxDecimals,
              parts[0].count <= 12
        else { return nil }
        let padded = fraction + String(repeating: "0", count: scale - fraction.count)
        return Int64(parts[0] + padded)
    }

    /// A duration such as `"30s"`, `"15m"` or `"1h"`, in seconds; `nil` otherwise.
    public static func durationSeconds(_ text: String) -> Int? {
        guard let unit = text.last, let amount = Int(text.dropLast()), amount > 0,
              text.dropLast().allSatisfy(\.isNumber)
        else { return nil }
        switch unit {
        case "s": return amount
        case "m": return amount * 60
        case "h": return amount * 3600
        default: return nil
        }
    }

    /// A container image name without tag (`mai-agent`, `registry.example:5000/mai/agent`).
    public static func isImageName(_ text: String) -> Bool {
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, !text.contains("@") else { return false }
        for (index, component) in components.enumerated() {
            if index == 0, components.count > 1, component.contains(".") || component.contains(":") {
                // A registry host, optionally with a port.
                let hostPort = component.split(separator: ":", omittingEmptySubsequences: false)
                guard hostPort.count <= 2, host(String(hostPort[0])) != nil || hostPort[0] == "localhost",
                      hostPort.count == 1 || UInt16(hostPort[1]) != nil
                else { return false }
                continue
            }
            let scalars = Array(component.unicodeScalars)
            guard let first = scalars.first, let last = scalars.last, isLowerAlnum(first), isLowerAlnum(last),
                  scalars.allSatisfy({ isLowerAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" })
            else { return false }
        }
        return true
    }

    /// A container image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    public static func isImageTag(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard (1...128).contains(scalars.count), let first = scalars.first, first != ".", first != "-" else { return false }
        return scalars.allSatisfy { $0.isASCII && (isAlnum($0) || $0 == "_" || $0 == "." || $0 == "-") }
    }

    /// A Hetzner server type name (`cx23`, `cpx22`, `cax11`, `ccx13`). Types are looked up at
    /// plan time, not hard-coded: Hetzner changes the list.
    public static func isServerType(_ text: String) -> Bool {
        text.wholeMatch(of: /[a-z]{2,5}[0-9]{1,3}[a-z]{0,3}/) != nil
    }

    /// A Hetzner image name (`debian-12`, `ubuntu-24.04`).
    public static func isImageOSName(_ text: String) -> Bool {
        text.wholeMatch(of: /[a-z0-9][a-z0-9._-]{0,62}/) != nil
    }

    /// Hetzner Cloud locations.
    public static let locations = ["fsn1", "nbg1", "hel1", "ash", "hil", "sin"]

    private static func isLowerAlnum(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isAlnum(_ scalar: Unicode.Scalar) -> Bool {
        isLowerAlnum(scalar) || ("A"..."Z").contains(scalar)
    }
}
