import Foundation

/// `GET /admin/v1/health`: the agent's deep health, everything `maictl health` needs in one
/// request — the database check, the disk holding `DATA_DIR`, the host's memory, and the facts
/// `/admin/v1/status` would give (version, uptime, last usage confirmation, key hash). A 503
/// carries the same body when the database check fails.
public struct AdminHealth: Codable, Sendable, Hashable {
    public var status: Bool
    /// `PRAGMA quick_check`'s answer: `ok`, or what is wrong.
    public var quickCheck: String
    public var dataDirFreeBytes: Int64?
    /// Provisional usage rows still waiting for OpenRouter's confirmation.
    public var provisional: Int
    /// The filesystem of `DATA_DIR` and the host's memory; `nil` from older agents (maictl then
    /// looks on the host over SSH instead).
    public var resources: HostResources?
    /// The process and its books; `nil` from older agents (maictl then asks `/admin/v1/status`).
    public var agent: AgentFacts?

    public init(status: Bool, quickCheck: String, dataDirFreeBytes: Int64? = nil, provisional: Int = 0,
                resources: HostResources? = nil, agent: AgentFacts? = nil) {
        self.status = status
        self.quickCheck = quickCheck
        self.dataDirFreeBytes = dataDirFreeBytes
        self.provisional = provisional
        self.resources = resources
        self.agent = agent
    }

    /// Disk and memory as the agent's process sees them. Each part is `nil` when it could not be
    /// read (the reason is in `problems`).
    public struct HostResources: Codable, Sendable, Hashable {
        public var disk: Disk?
        public var memory: Memory?
        public var problems: [String]

        public init(disk: Disk?, memory: Memory?, problems: [String] = []) {
            self.disk = disk
            self.memory = memory
            self.problems = problems
        }
    }

    /// `statvfs` of a directory: its size and what unprivileged writers (the agent) may still use.
    public struct Disk: Codable, Sendable, Hashable {
        public var path: String
        public var totalBytes: Int64
        public var availableBytes: Int64

        public init(path: String, totalBytes: Int64, availableBytes: Int64) {
            self.path = path
            self.totalBytes = totalBytes
            self.availableBytes = availableBytes
        }
    }

    /// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes.
    public struct Memory: Codable, Sendable, Hashable {
        public var totalBytes: Int64
        public var availableBytes: Int64

        public init(totalBytes: Int64, availableBytes: Int64) {
            self.totalBytes = totalBytes
            self.availableBytes = availableBytes
        }

        /// Reads `/proc/meminfo`'s text (values in kB); `nil` when MemTotal or MemAvailable is missing.
        public static func parse(meminfo text: String) -> Memory? {
            var values: [Substring: Int64] = [:]
            for line in text.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let number = parts[1].split(separator: " ").first.flatMap({ Int64($0) }) else { continue }
                values[parts[0]] = number
            }
            guard let total = values["MemTotal"], let available = values["MemAvailable"], total > 0, available >= 0 else { return nil }
            return Memory(totalBytes: total * 1024, availableBytes: available * 1024)
        }
    }

    /// Who answered, and the facts of its books that health judges.
    public struct AgentFacts: Codable, Sendable, Hashable {
        public var version: String
        public var pid: Int32
        public var uptimeSeconds: Int64
        /// When the last usage confirmation run finished; `nil` when none ever ran.
        public var lastConfirmationAt: Date?
        /// SHA-256 (hex) of the OpenRouter key in use; `nil` when there is none.
        public var openrouterKeyHash: String?

        public init(version: String, pid: Int32, uptimeSeconds: Int64, lastConfirmationAt: Date?, openrouterKeyHash: String?) {
            self.version = version
            self.pid = pid
            self.uptimeSeconds = uptimeSeconds
            self.lastConfirmationAt = lastConfirmationAt
            self.openrouterKeyHash = openrouterKeyHash
        }
    }
}
