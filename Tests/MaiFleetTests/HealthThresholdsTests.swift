import Foundation
import Testing
@testable import MaiFleet

@Suite("Health: [health] thresholds in fleet.toml")
struct HealthThresholdsTests {
    @Test func defaultsWithoutTable() throws {
        let fleet = try TemporaryFleet()
        defer { fleet.remove() }
        let health = try fleet.loader.load().defaults.health
        #expect(health == HealthThresholds())
        #expect(health.diskFreeWarningPercent == 20 && health.diskFreeCriticalPercent == 10)
        #expect(health.memoryAvailableWarningPercent == 15 && health.memoryAvailableCriticalPercent == 5)
        #expect(health.confirmationAgeWarningSeconds == 1800 && health.confirmationAgeCriticalSeconds == 7200)
        #expect(health.tlsDaysWarning == 14 && health.tlsDaysCritical == 7)
        #expect(health.backupAgeWarningSeconds == 26 * 3600 && health.backupAgeCriticalSeconds == 50 * 3600)
    }

    @Test func everyKeyIsRead() throws {
        let fleet = try TemporaryFleet(fleet: TemporaryFleet.fleetTOML + """
            [health]
            disk_free_warning_percent = 30
            disk_free_critical_percent = 15
            memory_available_warning_percent = 25
            memory_available_critical_percent = 10
            confirmation_age_warning = "45m"
            confirmation_age_critical = "3h"
            tls_days_warning = 21
            tls_days_critical = 3
            backup_age_warning = "30h"
            backup_age_critical = "72h"
            """)
        defer { fleet.remove() }
        let health = try fleet.loader.load().defaults.health
        #expect(health.diskFreeWarningPercent == 30 && health.diskFreeCriticalPercent == 15)
        #expect(health.memoryAvailableWarningPercent == 25 && health.memoryAvailableCriticalPercent == 10)
        #expect(health.confirmationAgeWarningSeconds == 2700 && health.confirmationAgeCriticalSeconds == 10_800)
        #expect(health.tlsDaysWarning == 21 && health.tlsDaysCritical == 3)
        #expect(health.backupAgeWarningSeconds == 30 * 3600 && health.backupAgeCriticalSeconds == 72 * 3600)
    }

    @Test func unknownKeysAndBadValuesAreProblemsWithLines() throws {
        let fleet = try TemporaryFleet(fleet: TemporaryFleet.fleetTOML + """
            [health]
            disk_free_warn_percent = 30
            tls_days = 3
            memory_available_warning_percent = 150
            confirmation_age_warning = "soon"
            backup_age_critical = 5
            parallel = 4
            """)
        defer { fleet.remove() }
        let problems = fleet.problems()
        #expect(problems == [
            "fleet/fleet.toml:10: health.disk_free_warn_percent: unknown key — did you mean disk_free_warning_percent?",
            "fleet/fleet.toml:11: health.tls_days: unknown key — expected one of: \(HealthThresholds.keys.joined(separator: ", "))",
            "fleet/fleet.toml:12: health.memory_available_warning_percent: 150 is out of range — expected 1–99",
            "fleet/fleet.toml:13: health.confirmation_age_warning: \"soon\" is not an age between 1 minute and 720 hours — write one such as \"30m\"",
            "fleet/fleet.toml:14: health.backup_age_critical: expected a string such as \"50h\", found an integer",
            "fleet/fleet.toml:15: health.parallel: unknown key here — parallel belongs under [deploy]",
        ], "\(problems)")
    }

    @Test func warningMustComeBeforeCritical() throws {
        let fleet = try TemporaryFleet(fleet: TemporaryFleet.fleetTOML + """
            [health]
            disk_free_warning_percent = 10
            disk_free_critical_percent = 10
            confirmation_age_critical = "20m"
            tls_days_critical = 30
            """)
        defer { fleet.remove() }
        let problems = fleet.problems()
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.first?.hasPrefix("fleet/fleet.toml:10: health.disk_free_warning_percent: must be greater than disk_free_critical_percent (10 vs 10)") == true, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("fleet/fleet.toml:12: health.confirmation_age_warning: must be less than confirmation_age_critical (30m vs 20m)") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("fleet/fleet.toml:13: health.tls_days_warning: must be greater than tls_days_critical (14 vs 30)") }, "\(problems)")
    }

    @Test func healthKeysAtTheTopLevelPointToTheTable() throws {
        let fleet = try TemporaryFleet(fleet: "tls_days_warning = 10\n" + TemporaryFleet.fleetTOML + "[helth]\n")
        defer { fleet.remove() }
        let problems = fleet.problems()
        #expect(problems.contains("fleet/fleet.toml:1: tls_days_warning: belongs under [health] — move it below that header"), "\(problems)")
        #expect(problems.contains("fleet/fleet.toml:10: [helth]: unknown table — did you mean [health]?"), "\(problems)")
    }
}
