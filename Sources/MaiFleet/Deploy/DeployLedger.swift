import Foundation

/// The versions each instance ran, oldest first (`<state>/ledger.json`): what `maictl rollback`
/// goes back to, and what image pruning keeps.
public struct DeployLedger: Sendable, Hashable, Codable {
    public struct Record: Sendable, Hashable, Codable {
        public var version: String
        public var image: String
        public var deployedAt: String
        /// `deploy` or `rollback`.
        public var kind: String

        public init(version: String, image: String, deployedAt: String, kind: String) {
            self.version = version
            self.image = image
            self.deployedAt = deployedAt
            self.kind = kind
        }
    }

    public var instances: [String: [Record]] = [:]

    public init(instances: [String: [Record]] = [:]) {
        self.instances = instances
    }

    /// The version now serving on `instance` (the last successful record).
    public func current(_ instance: String) -> String? { instances[instance]?.last?.version }

    /// The version before the current one: the latest record whose version differs from the
    /// current one (a re-deploy of the same version does not count).
    public func previous(_ instance: String) -> String? {
        guard let records = instances[instance], let current = records.last?.version else { return nil }
        return records.reversed().first { $0.version != current }?.version
    }

    /// Whether `version` ever ran on `instance`.
    public func contains(_ version: String, on instance: String) -> Bool {
        instances[instance]?.contains { $0.version == version } ?? false
    }

    public mutating func record(_ record: Record, for instance: String) {
        instances[instance, default: []].append(record)
    }

    /// The distinct versions to keep on a host: the current one and the `keep - 1` before it.
    public func versionsToKeep(_ instance: String, keep: Int) -> [String] {
        var seen: [String] = []
        for record in (instances[instance] ?? []).reversed() where !seen.contains(record.version) {
            seen.append(record.version)
            if seen.count == max(1, keep) { break }
        }
        return seen
    }
}

/// Reads and writes the ledger file atomically (0600).
public struct LedgerFile: Sendable {
    public let path: String

    public init(stateDirectory: URL) {
        self.path = stateDirectory.appendingPathComponent("ledger.json").path
    }

    public func load() throws -> DeployLedger {
        guard FileManager.default.fileExists(atPath: path) else { return DeployLedger() }
        return try JSONDecoder().decode(DeployLedger.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    public func save(_ ledger: DeployLedger) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let temporary = path + ".\(getpid()).tmp"
        let data = try encoder.encode(ledger)
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary])
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// Loads, changes and saves under the caller's fleet lock.
    public func update(_ change: (inout DeployLedger) -> Void) throws {
        var ledger = try load()
        change(&ledger)
        try save(ledger)
    }
}
