import Foundation
import MaiCore
import Logging

/// One log line per event on stderr: JSON in production, readable text in development.
/// Metadata whose key names a secret (password, token, authorization, cookie, secret, api_key)
/// is replaced by `[REDACTED]` whatever the caller passed.
public struct AgentLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    let label: String
    let json: Bool

    public init(label: String, level: Logger.Level, json: Bool) {
        self.label = label
        self.logLevel = level
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    static let secretMarkers = ["password", "token", "authorization", "cookie", "secret", "api_key", "apikey"]

    static func isSecret(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretMarkers.contains { lowered.contains($0) }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var fields: [(String, String)] = []
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            fields.append((key, Self.isSecret(key) ? "[REDACTED]" : "\(value)"))
        }
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        let line: String
        if json {
            var object: [String: String] = ["ts": time, "level": "\(event.level)", "msg": "\(event.message)", "logger": label]
            for (key, value) in fields { object[key] = value }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            let rendered = fields.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
            line = "\(time) \(event.level) \(event.message)\(rendered.isEmpty ? "" : " " + rendered)"
        }
        StandardError.write(line + "\n")
    }
}
