import Foundation
import MaiCore

/// Typed reads of environment variables; every failure names the variable and what it expects.
struct EnvironmentReader: Sendable {
    let values: [String: String]

    init(_ values: [String: String]) {
        self.values = values
    }

    /// The trimmed value, or `nil` when unset or empty.
    func string(_ name: String) -> String? {
        guard let raw = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
        return raw
    }

    func integer(_ name: String, default value: Int, range: ClosedRange<Int>, unit: String) throws(ConfigError) -> Int {
        guard let raw = string(name) else { return value }
        guard let number = Int(raw), range.contains(number) else {
            throw ConfigError(name, "must be a whole number of \(unit) from \(range.lowerBound) to \(range.upperBound); got '\(raw)'")
        }
        return number
    }

    func port(_ name: String, default value: Int) throws(ConfigError) -> Int {
        guard let raw = string(name) else { return value }
        guard let number = Int(raw), (1...65_535).contains(number) else {
            throw ConfigError(name, "must be a port number from 1 to 65535; got '\(raw)'")
        }
        return number
    }

    func bool(_ name: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let raw = string(name) else { return value }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw ConfigError(name, "must be true or false; got '\(raw)'")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default value: T) throws(ConfigError) -> T where T.RawValue == String {
        guard let raw = string(name) else { return value }
        if let match = T(rawValue: raw.lowercased()) { return match }
        let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
        throw ConfigError(name, "must be one of \(allowed); got '\(raw)'")
    }

    func oneOf(_ name: String, _ allowed: [String], default value: String) throws(ConfigError) -> String {
        guard let raw = string(name) else { return value }
        guard allowed.contains(raw.lowercased()) else {
            throw ConfigError(name, "must be one of \(allowed.joined(separator: ", ")); got '\(raw)'")
        }
        return raw.lowercased()
    }

    func lifetime(_ name: String, default value: TokenLifetime) throws(ConfigError) -> TokenLifetime {
        guard let raw = string(name) else { return value }
        guard let parsed = TokenLifetime(parsing: raw) else {
            throw ConfigError(name, "must be a duration such as 15m, 1h, 7d or 4w (or -1 for no expiry); got '\(raw)'")
        }
        return parsed
    }

    func httpURL(_ name: String) throws(ConfigError) -> URL? {
        guard let raw = string(name) else { return nil }
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigError(name, "must be an http:// or https:// address; got '\(raw)'")
        }
        return url
    }

    func decimal(_ name: String, default value: String) throws(ConfigError) -> String {
        guard let raw = string(name) else { return value }
        guard MarkupRate(decimal: raw) != nil else {
            throw ConfigError(name, "must be a positive decimal number with at most 6 decimals, such as 1.3; got '\(raw)'")
        }
        return raw
    }

    func hostPort(_ name: String, default value: (String, Int)) throws(ConfigError) -> (host: String, port: Int) {
        guard let raw = string(name) else { return value }
        guard let colon = raw.lastIndex(of: ":"),
              let port = Int(raw[raw.index(after: colon)...]), (1...65_535).contains(port)
        else {
            throw ConfigError(name, "must be host:port, such as 127.0.0.1:8081; got '\(raw)'")
        }
        var host = String(raw[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            throw ConfigError(name, "must be host:port, such as 127.0.0.1:8081; got '\(raw)'")
        }
        return (host, port)
    }

    func list(_ name: String, separator: Character, default value: [String] = []) -> [String] {
        guard let raw = string(name) else { return value }
        return raw.split(separator: separator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
