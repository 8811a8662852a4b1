import Foundation
import MaiCore

/// What was seen of one value: the value, why it could not be seen, or why it was not looked at.
public enum Observed<Value: Sendable>: Sendable {
    case value(Value)
    /// Looking failed (the reason, for people).
    case failed(String)
    /// Not looked at because an earlier step failed (the reason).
    case skipped(String)
    /// Does not apply to this instance (the reason): not counted.
    case notApplicable(String)
}

/// Filesystem usage of one filesystem, from `df -P -k`.
public struct DiskUsage: Sendable, Hashable {
    public var totalKiB: Int64
    public var availableKiB: Int64
    public var mountPoint: String

    public init(totalKiB: Int64, availableKiB: Int64, mountPoint: String) {
        self.totalKiB = totalKiB
        self.availableKiB = availableKiB
        self.mountPoint = mountPoint
    }

    /// Available space in percent of the total (what unprivileged writers, like the agent, get).
    public var freePercent: Double { totalKiB > 0 ? Double(availableKiB) * 100 / Double(totalKiB) : 0 }
}

/// MemTotal and MemAvailable from `/proc/meminfo`.
public struct MemoryInfo: Sendable, Hashable {
    public var totalKiB: Int64
    public var availableKiB: Int64

    public init(totalKiB: Int64, availableKiB: Int64) {
        self.totalKiB = totalKiB
        self.availableKiB = availableKiB
    }

    public var availablePercent: Double { totalKiB > 0 ? Double(availableKiB) * 100 / Double(totalKiB) : 0 }
}

/// Whether the agent runs, and how it was found.
public struct AgentProcess: Sendable, Hashable {
    public var running: Bool
    /// `container mai-agent (docker)`, `process mai-agent (pid 123)`, or what was looked at.
    public var detail: String

    public init(running: Bool, detail: String) {
        self.running = running
        self.detail = detail
    }
}

/// Everything `maictl health` saw of one instance; `HealthEvaluator` turns it into checks.
public struct HealthObservation: Sendable {
    /// `nil` when the SSH session opened; else why not.
    public var sshError: String?
    public var agent: Observed<AgentProcess>
    /// The HTTP status of the public `/health` (and the URL asked).
    public var publicHealth: Observed<Int>
    public var publicHealthURL: String
    public var adminHealth: Observed<AdminHealth>
    public var disk: Observed<DiskUsage>
    public var memory: Observed<MemoryInfo>
    /// When the last usage confirmation run finished; `.value(nil)` when it never ran.
    public var lastConfirmation: Observed<Date?>
    /// The TLS certificate's notAfter.
    public var tlsNotAfter: Observed<Date>
    /// The agent's OpenRouter key as OpenRouter's management API describes it.
    public var openRouterKey: Observed<OpenRouterKey> = .notApplicable("set OPENROUTER_MANAGEMENT_KEY to check the key's state and remaining limit")
    /// When the newest backup in this maictl's backup store was taken; `.value(nil)` when none was.
    public var lastBackup: Observed<Date?> = .skipped("not looked at")

    public init(sshError: String? = nil, agent: Observed<AgentProcess>, publicHealth: Observed<Int>, publicHealthURL: String,
                adminHealth: Observed<AdminHealth>, disk: Observed<DiskUsage>, memory: Observed<MemoryInfo>,
                lastConfirmation: Observed<Date?>, tlsNotAfter: Observed<Date>) {
        self.sshError = sshError
        self.agent = agent
        self.publicHealth = publicHealth
        self.publicHealthURL = publicHealthURL
        self.adminHealth = adminHealth
        self.disk = disk
        self.memory = memory
        self.lastConfirmation = lastConfirmation
        self.tlsNotAfter = tlsNotAfter
    }

    /// An instance whose SSH session could not be opened: only the public health was looked at.
    public static func unreachable(_ reason: String, publicHealth: Observed<Int>, publicHealthURL: String,
                                   lastBackup: Observed<Date?> = .skipped("not looked at")) -> HealthObservation {
        let skipped = "not checked: no SSH session"
        var observation = HealthObservation(sshError: reason, agent: .skipped(skipped), publicHealth: publicHealth, publicHealthURL: publicHealthURL,
                                            adminHealth: .skipped(skipped), disk: .skipped(skipped), memory: .skipped(skipped),
                                            lastConfirmation: .skipped(skipped), tlsNotAfter: .skipped(skipped))
        observation.lastBackup = lastBackup
        return observation
    }
}
