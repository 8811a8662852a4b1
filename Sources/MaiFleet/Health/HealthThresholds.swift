/// `[health]` in `fleet.toml`: when `maictl health` turns a check WARNING or CRITICAL.
public struct HealthThresholds: Sendable, Hashable, Codable {
    /// `disk_free_warning_percent`: free space of `/` below this is WARNING. Default 20.
    public var diskFreeWarningPercent: Int = 20
    /// `disk_free_critical_percent`: below this is CRITICAL. Default 10.
    public var diskFreeCriticalPercent: Int = 10
    /// `memory_available_warning_percent`: MemAvailable/MemTotal below this is WARNING. Default 15.
    public var memoryAvailableWarningPercent: Int = 15
    /// `memory_available_critical_percent`: below this is CRITICAL. Default 5.
    public var memoryAvailableCriticalPercent: Int = 5
    /// `confirmation_age_warning`: last usage confirmation older than this is WARNING. Default 30m.
    public var confirmationAgeWarningSeconds: Int = 1800
    /// `confirmation_age_critical`: older than this is CRITICAL. Default 2h.
    public var confirmationAgeCriticalSeconds: Int = 7200
    /// `tls_days_warning`: certificate valid for fewer days than this is WARNING. Default 14.
    public var tlsDaysWarning: Int = 14
    /// `tls_days_critical`: fewer days than this is CRITICAL. Default 7.
    public var tlsDaysCritical: Int = 7
    /// `backup_age_warning`: last backup older than this is WARNING. Default 26h.
    public var backupAgeWarningSeconds: Int = 26 * 3600
    /// `backup_age_critical`: older than this is CRITICAL. Default 50h.
    public var backupAgeCriticalSeconds: Int = 50 * 3600
    /// `key_remaining_warning_percent`: the OpenRouter key's remaining limit below this share of its
    /// limit is WARNING. Default 20.
    public var keyRemainingWarningPercent: Int = 20
    /// `key_remaining_critical_percent`: below this is CRITICAL. Default 5.
    public var keyRemainingCriticalPercent: Int = 5

    /// The defaults.
    public init() {}

    /// The keys of `[health]`, in documentation order.
    static let keys = [
        "disk_free_warning_percent", "disk_free_critical_percent",
        "memory_available_warning_percent", "memory_available_critical_percent",
        "confirmation_age_warning", "confirmation_age_critical",
        "tls_days_warning", "tls_days_critical",
        "backup_age_warning", "backup_age_critical",
        "key_remaining_warning_percent", "key_remaining_critical_percent",
    ]
}

extension HealthThresholds {
    /// Reads `[health]`; every value is optional and checked, and each warning threshold must be
    /// less severe than its critical one.
    mutating func read(_ reader: inout FieldReader) {
        func percent(_ key: String) -> FieldReader.Located<Int>? {
            reader.integer(key, in: 1...99, example: "20")
        }
        func age(_ key: String, example: String) -> FieldReader.Located<Int>? {
            guard let value = reader.string(key, example: example) else { return nil }
            guard let seconds = FieldRules.durationSeconds(value.value), (60...(30 * 86_400)).contains(seconds) else {
                reader.problem(key, line: value.line, "\"\(value.value)\" is not an age between 1 minute and 720 hours — write one such as \(example)")
                return nil
            }
            return FieldReader.Located(value: seconds, line: value.line)
        }
        func days(_ key: String) -> FieldReader.Located<Int>? {
            reader.integer(key, in: 1...365, example: "14")
        }

        let diskWarning = percent("disk_free_warning_percent")
        let diskCritical = percent("disk_free_critical_percent")
        let memoryWarning = percent("memory_available_warning_percent")
        let memoryCritical = percent("memory_available_critical_percent")
        let confirmationWarning = age("confirmation_age_warning", example: "\"30m\"")
        let confirmationCritical = age("confirmation_age_critical", example: "\"2h\"")
        let tlsWarning = days("tls_days_warning")
        let tlsCritical = days("tls_days_critical")
        let backupWarning = age("backup_age_warning", example: "\"26h\"")
        let backupCritical = age("backup_age_critical", example: "\"50h\"")
        let keyWarning = percent("key_remaining_warning_percent")
        let keyCritical = percent("key_remaining_critical_percent")

        diskWarning.map { diskFreeWarningPercent = $0.value }
        diskCritical.map { diskFreeCriticalPercent = $0.value }
        memoryWarning.map { memoryAvailableWarningPercent = $0.value }
        memoryCritical.map { memoryAvailableCriticalPercent = $0.value }
        confirmationWarning.map { confirmationAgeWarningSeconds = $0.value }
        confirmationCritical.map { confirmationAgeCriticalSeconds = $0.value }
        tlsWarning.map { tlsDaysWarning = $0.value }
        tlsCritical.map { tlsDaysCritical = $0.value }
        backupWarning.map { backupAgeWarningSeconds = $0.value }
        backupCritical.map { backupAgeCriticalSeconds = $0.value }
        keyWarning.map { keyRemainingWarningPercent = $0.value }
        keyCritical.map { keyRemainingCriticalPercent = $0.value }

        // Headroom and days left: warning above critical. Ages: warning below critical.
        func order(_ warning: String, _ critical: String, _ warningLine: Int?, _ criticalLine: Int?,
                   _ warningValue: Int, _ criticalValue: Int, lowerIsWorse: Bool) {
            guard warningLine != nil || criticalLine != nil else { return }
            let fine = lowerIsWorse ? warningValue > criticalValue : warningValue < criticalValue
            guard !fine else { return }
            let relation = lowerIsWorse ? "greater" : "less"
            reader.problem(warning, line: warningLine ?? criticalLine,
                           "must be \(relation) than \(critical) (\(Self.display(warningValue, warning)) vs \(Self.display(criticalValue, critical))) — a warning comes before the critical state")
        }
        order("disk_free_warning_percent", "disk_free_critical_percent", diskWarning?.line, diskCritical?.line,
              diskFreeWarningPercent, diskFreeCriticalPercent, lowerIsWorse: true)
        order("memory_available_warning_percent", "memory_available_critical_percent", memoryWarning?.line, memoryCritical?.line,
              memoryAvailableWarningPercent, memoryAvailableCriticalPercent, lowerIsWorse: true)
        order("confirmation_age_warning", "confirmation_age_critical", confirmationWarning?.line, confirmationCritical?.line,
              confirmationAgeWarningSeconds, confirmationAgeCriticalSeconds, lowerIsWorse: false)
        order("tls_days_warning", "tls_days_critical", tlsWarning?.line, tlsCritical?.line,
              tlsDaysWarning, tlsDaysCritical, lowerIsWorse: true)
        order("backup_age_warning", "backup_age_critical", backupWarning?.line, backupCritical?.line,
              backupAgeWarningSeconds, backupAgeCriticalSeconds, lowerIsWorse: false)
        order("key_remaining_warning_percent", "key_remaining_critical_percent", keyWarning?.line, keyCritical?.line,
              keyRemainingWarningPercent, keyRemainingCriticalPercent, lowerIsWorse: true)
    }

    private static func display(_ value: Int, _ key: String) -> String {
        key.hasPrefix("confirmation_age") || key.hasPrefix("backup_age") ? HealthFormat.age(Double(value)) : String(value)
    }
}

/// Small formatting helpers shared by the evaluator and the command.
public enum HealthFormat {
    /// `45s`, `12m`, `5h`, `3d` (seconds: minutes below 2 h, hours below 2 days).
    public static func age(_ seconds: Double) -> String {
        let value = Int(seconds.rounded(.down))
        if value < 120 { return "\(value)s" }
        if value < 7200 { return "\(value / 60)m" }
        if value < 172_800 { return "\(value / 3600)h" }
        return "\(value / 86_400)d"
    }

    /// A percentage with one decimal: `12.5%`.
    public static func percent(_ value: Double) -> String {
        String(format: "%.1f%%", value)
    }
}
