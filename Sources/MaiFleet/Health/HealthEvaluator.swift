import Foundation
import MaiCore

/// Turns what was seen of an instance into checks against the thresholds. Pure: `now` is given.
public struct HealthEvaluator: Sendable {
    public var thresholds: HealthThresholds

    public init(thresholds: HealthThresholds = HealthThresholds()) {
        self.thresholds = thresholds
    }

    /// Every check of one instance, in a fixed order.
    public func evaluate(_ observation: HealthObservation, instance: String, address: String, now: Date) -> InstanceHealth {
        var checks: [HealthCheck] = []
        if let error = observation.sshError {
            checks.append(HealthCheck("ssh", .critical, "\(error)"))
        } else {
            checks.append(HealthCheck("ssh", .ok, "connected"))
        }
        checks.append(agent(observation.agent))
        checks.append(publicHealth(observation.publicHealth, url: observation.publicHealthURL))
        checks += admin(observation.adminHealth)
        checks.append(disk(observation.disk))
        checks.append(memory(observation.memory))
        checks.append(confirmation(observation.lastConfirmation, now: now))
        checks.append(tls(observation.tlsNotAfter, now: now))
        checks.append(openRouterKey(observation.openRouterKey))
        checks.append(backup(observation.lastBackup, now: now))
        return InstanceHealth(instance: instance, address: address, checks: checks)
    }

    /// A check for an observation that has no value.
    private func missing<Value>(_ name: String, _ observed: Observed<Value>) -> HealthCheck? {
        switch observed {
        case .value: nil
        case .failed(let reason): HealthCheck(name, .unknown, reason)
        case .skipped(let reason): HealthCheck(name, .unknown, reason)
        case .notApplicable(let reason): HealthCheck(name, .ok, reason, informational: true)
        }
    }

    func agent(_ observed: Observed<AgentProcess>) -> HealthCheck {
        guard case .value(let process) = observed else { return missing("agent", observed)! }
        return process.running ? HealthCheck("agent", .ok, process.detail) : HealthCheck("agent", .critical, "agent not running: \(process.detail)")
    }

    func publicHealth(_ observed: Observed<Int>, url: String) -> HealthCheck {
        switch observed {
        case .value(let status):
            return (200..<300).contains(status)
                ? HealthCheck("public_health", .ok, "GET \(url) answered \(status)", value: Double(status))
                : HealthCheck("public_health", .critical, "GET \(url) answered \(status)", value: Double(status))
        case .failed(let reason):
            return HealthCheck("public_health", .critical, "GET \(url): \(reason)")
        default:
            return missing("public_health", observed)!
        }
    }

    func admin(_ observed: Observed<AdminHealth>) -> [HealthCheck] {
        switch observed {
        case .value(let health):
            let database = health.quickCheck == "ok"
                ? HealthCheck("database", .ok, "quick_check ok")
                : HealthCheck("database", .critical, "PRAGMA quick_check: \(health.quickCheck)")
            return [HealthCheck("admin_api", .ok, "answering"), database]
        case .failed(let reason):
            return [HealthCheck("admin_api", .critical, "admin API: \(reason)"),
                    HealthCheck("database", .unknown, "not checked: the admin API did not answer")]
        default:
            return [missing("admin_api", observed)!, missing("database", observed)!]
        }
    }

    /// Headroom below `warning` percent is WARNING, below `critical` CRITICAL (equal is the better state).
    static func headroom(_ percent: Double, warning: Int, critical: Int) -> HealthState {
        if percent < Double(critical) { return .critical }
        if percent < Double(warning) { return .warning }
        return .ok
    }

    /// An age above `warning` seconds is WARNING, above `critical` CRITICAL (equal is the better state).
    static func age(_ seconds: Double, warning: Int, critical: Int) -> HealthState {
        if seconds > Double(critical) { return .critical }
        if seconds > Double(warning) { return .warning }
        return .ok
    }

    func disk(_ observed: Observed<DiskUsage>) -> HealthCheck {
        guard case .value(let usage) = observed else { return missing("disk", observed)! }
        let percent = usage.freePercent
        let state = Self.headroom(percent, warning: thresholds.diskFreeWarningPercent, critical: thresholds.diskFreeCriticalPercent)
        let gib = Double(usage.availableKiB) / 1_048_576
        return HealthCheck("disk", state, "\(HealthFormat.percent(percent)) free on \(usage.mountPoint) (\(String(format: "%.1f", gib)) GiB)"
                           + (state == .ok ? "" : ", below \(state == .critical ? thresholds.diskFreeCriticalPercent : thresholds.diskFreeWarningPercent)%"),
                           value: percent)
    }

    func memory(_ observed: Observed<MemoryInfo>) -> HealthCheck {
        guard case .value(let info) = observed else { return missing("memory", observed)! }
        let percent = info.availablePercent
        let state = Self.headroom(percent, warning: thresholds.memoryAvailableWarningPercent, critical: thresholds.memoryAvailableCriticalPercent)
        return HealthCheck("memory", state, "\(HealthFormat.percent(percent)) of memory available"
                           + (state == .ok ? "" : ", below \(state == .critical ? thresholds.memoryAvailableCriticalPercent : thresholds.memoryAvailableWarningPercent)%"),
                           value: percent)
    }

    func confirmation(_ observed: Observed<Date?>, now: Date) -> HealthCheck {
        guard case .value(let finished) = observed else { return missing("confirmation_age", observed)! }
        guard let finished else { return HealthCheck("confirmation_age", .warning, "usage confirmation never ran") }
        let seconds = max(0, now.timeIntervalSince(finished))
        let state = Self.age(seconds, warning: thresholds.confirmationAgeWarningSeconds, critical: thresholds.confirmationAgeCriticalSeconds)
        let limit = state == .critical ? thresholds.confirmationAgeCriticalSeconds : thresholds.confirmationAgeWarningSeconds
        return HealthCheck("confirmation_age", state, "last usage confirmation \(HealthFormat.age(seconds)) ago"
                           + (state == .ok ? "" : ", older than \(HealthFormat.age(Double(limit)))"), value: seconds)
    }

    /// The agent's key at OpenRouter: disabled is CRITICAL; the remaining limit against its limit.
    func openRouterKey(_ observed: Observed<OpenRouterKey>) -> HealthCheck {
        guard case .value(let key) = observed else { return missing("openrouter_key", observed)! }
        let name = "key \(key.label) (\(key.hash.prefix(8)))"
        if key.disabled { return HealthCheck("openrouter_key", .critical, "\(name) is disabled at OpenRouter: chats fail — run maictl keys rotate") }
        guard let limit = key.limit, limit.nanos > 0, let remaining = key.limitRemaining else {
            return HealthCheck("openrouter_key", .ok, "\(name) is active, no spending limit")
        }
        let percent = Double(max(0, remaining.nanos)) * 100 / Double(limit.nanos)
        let state: HealthState = percent < Double(thresholds.keyRemainingCriticalPercent) ? .critical
            : percent < Double(thresholds.keyRemainingWarningPercent) ? .warning : .ok
        let reset = key.limitReset.map { ", resets \($0)" } ?? ""
        return HealthCheck("openrouter_key", state, "\(name): $\(remaining.formatted(decimals: 2)) of $\(limit.formatted(decimals: 2)) left (\(HealthFormat.percent(percent)))\(reset)"
                           + (state == .ok ? "" : " — raise the limit in fleet/clients or at OpenRouter"), value: percent)
    }

    /// The newest backup in maictl's store (`maictl backup`, taken from cron): none is a WARNING.
    func backup(_ observed: Observed<Date?>, now: Date) -> HealthCheck {
        guard case .value(let taken) = observed else { return missing("backup_age", observed)! }
        guard let taken else {
            return HealthCheck("backup_age", .warning, "no backup in this maictl's store yet: run maictl backup (nightly from cron)")
        }
        let seconds = max(0, now.timeIntervalSince(taken))
        let state = Self.age(seconds, warning: thresholds.backupAgeWarningSeconds, critical: thresholds.backupAgeCriticalSeconds)
        let limit = state == .critical ? thresholds.backupAgeCriticalSeconds : thresholds.backupAgeWarningSeconds
        return HealthCheck("backup_age", state, "last backup \(HealthFormat.age(seconds)) ago"
                           + (state == .ok ? "" : ", older than \(HealthFormat.age(Double(limit)))"), value: seconds)
    }

    func tls(_ observed: Observed<Date>, now: Date) -> HealthCheck {
        guard case .value(let notAfter) = observed else { return missing("tls", observed)! }
        let days = (notAfter.timeIntervalSince(now) / 86_400).rounded(.down)
        let state: HealthState = days < Double(thresholds.tlsDaysCritical) ? .critical : days < Double(thresholds.tlsDaysWarning) ? .warning : .ok
        let text = days < 0 ? "TLS certificate expired \(Int(-days)) days ago" : "TLS certificate valid for \(Int(days)) more days"
        return HealthCheck("tls", state, text, value: days)
    }
}
