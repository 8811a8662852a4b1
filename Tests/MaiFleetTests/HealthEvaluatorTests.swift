import Foundation
import MaiCore
import Testing
@testable import MaiFleet

@Suite("Health: evaluator, states and exit codes")
struct HealthEvaluatorTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let evaluator = HealthEvaluator()

    func healthy(disk: Double = 50, memory: Double = 50, confirmedAgo: Double? = 60, tls: Observed<Date> = .notApplicable("test host"),
                 backedUpAgo: Double? = 3600) -> HealthObservation {
        var observation = HealthObservation(agent: .value(AgentProcess(running: true, detail: "process mai-agent running (pid 7)")),
                          publicHealth: .value(200), publicHealthURL: "http://198.51.100.11:8080/health",
                          adminHealth: .value(AdminHealth(status: true, quickCheck: "ok")),
                          disk: .value(DiskUsage(totalKiB: 1000, availableKiB: Int64(disk * 10), mountPoint: "/")),
                          memory: .value(MemoryInfo(totalKiB: 1000, availableKiB: Int64(memory * 10))),
                          lastConfirmation: .value(confirmedAgo.map { now.addingTimeInterval(-$0) }), tlsNotAfter: tls)
        observation.lastBackup = .value(backedUpAgo.map { now.addingTimeInterval(-$0) })
        return observation
    }

    func check(_ name: String, _ observation: HealthObservation, _ evaluator: HealthEvaluator? = nil) -> HealthCheck? {
        (evaluator ?? self.evaluator).evaluate(observation, instance: "acme", address: "198.51.100.11", now: now).checks.first { $0.name == name }
    }

    @Test func allGoodIsOKAndInformationalChecksDoNotCount() {
        let health = evaluator.evaluate(healthy(), instance: "acme", address: "a", now: now)
        #expect(health.state == .ok)
        #expect(health.problems.isEmpty)
        let informational = health.checks.filter(\.informational).map(\.name)
        #expect(informational == ["openrouter_key", "tls"] || informational == ["tls", "openrouter_key"])
        #expect(health.checks.first { $0.name == "openrouter_key" }?.message.contains("set OPENROUTER_MANAGEMENT_KEY") == true)
        #expect(health.checks.first { $0.name == "backup_age" }?.message == "last backup 60m ago")
    }

    func key(limit: String?, remaining: String?, disabled: Bool = false) -> OpenRouterKey {
        OpenRouterKey(hash: "f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943", name: "mai-acme-2026-11-01",
                      label: "sk-or-v1-0e6...1c96", disabled: disabled, limit: limit.map { Money(decimal: $0)! },
                      limitRemaining: remaining.map { Money(decimal: $0)! }, limitReset: "monthly", includeByokInLimit: false,
                      usage: .zero, usageDaily: .zero, usageWeekly: .zero, usageMonthly: .zero,
                      createdAt: "2026-11-01T00:00:00Z", updatedAt: nil, expiresAt: nil)
    }

    @Test func openRouterKeyRemainingLimitAndDisabled() {
        func state(_ key: OpenRouterKey) -> HealthCheck? {
            var observation = healthy()
            observation.openRouterKey = .value(key)
            return check("openrouter_key", observation)
        }
        // Default thresholds: WARNING below 20 % of the limit left, CRITICAL below 5 %.
        #expect(state(key(limit: "100", remaining: "20"))?.state == .ok)
        #expect(state(key(limit: "100", remaining: "19.99"))?.state == .warning)
        #expect(state(key(limit: "100", remaining: "4.99"))?.state == .critical)
        #expect(state(key(limit: "100", remaining: "0"))?.message.contains("$0.00 of $100.00 left") == true)
        #expect(state(key(limit: nil, remaining: nil))?.state == .ok)
        let disabled = state(key(limit: "100", remaining: "50", disabled: true))
        #expect(disabled?.state == .critical && disabled?.message.contains("maictl keys rotate") == true)
        var failed = healthy()
        failed.openRouterKey = .failed("OpenRouter did not describe key f01d5260: 404")
        #expect(check("openrouter_key", failed)?.state == .unknown)
    }

    @Test func backupAgeEdgesAndNoBackupIsAWarning() {
        // Default thresholds: warning above 26 h, critical above 50 h; equal is the better state.
        #expect(check("backup_age", healthy(backedUpAgo: 26 * 3600))?.state == .ok)
        #expect(check("backup_age", healthy(backedUpAgo: 26 * 3600 + 1))?.state == .warning)
        #expect(check("backup_age", healthy(backedUpAgo: 50 * 3600 + 1))?.state == .critical)
        let none = check("backup_age", healthy(backedUpAgo: nil))
        #expect(none?.state == .warning)
        #expect(none?.message.contains("run maictl backup") == true)
    }

    @Test func diskEdges() {
        // Default thresholds: warning below 20 %, critical below 10 %; equal is the better state.
        #expect(check("disk", healthy(disk: 20))?.state == .ok)
        #expect(check("disk", healthy(disk: 19.9))?.state == .warning)
        #expect(check("disk", healthy(disk: 10))?.state == .warning)
        #expect(check("disk", healthy(disk: 9.9))?.state == .critical)
        #expect(check("disk", healthy(disk: 9.9))?.message.contains("below 10%") == true)
    }

    @Test func memoryEdges() {
        #expect(check("memory", healthy(memory: 15))?.state == .ok)
        #expect(check("memory", healthy(memory: 14.9))?.state == .warning)
        #expect(check("memory", healthy(memory: 5))?.state == .warning)
        #expect(check("memory", healthy(memory: 4.9))?.state == .critical)
    }

    @Test func confirmationAgeEdges() {
        #expect(check("confirmation_age", healthy(confirmedAgo: 1800))?.state == .ok)
        #expect(check("confirmation_age", healthy(confirmedAgo: 1801))?.state == .warning)
        #expect(check("confirmation_age", healthy(confirmedAgo: 7200))?.state == .warning)
        #expect(check("confirmation_age", healthy(confirmedAgo: 7201))?.state == .critical)
        let never = check("confirmation_age", healthy(confirmedAgo: nil))
        #expect(never?.state == .warning && never?.message == "usage confirmation never ran")
    }

    @Test func tlsEdges() {
        let day = 86_400.0
        #expect(check("tls", healthy(tls: .value(now.addingTimeInterval(14 * day))))?.state == .ok)
        #expect(check("tls", healthy(tls: .value(now.addingTimeInterval(14 * day - 1))))?.state == .warning)
        #expect(check("tls", healthy(tls: .value(now.addingTimeInterval(7 * day))))?.state == .warning)
        #expect(check("tls", healthy(tls: .value(now.addingTimeInterval(7 * day - 1))))?.state == .critical)
        #expect(check("tls", healthy(tls: .value(now.addingTimeInterval(-2 * day))))?.message == "TLS certificate expired 2 days ago")
        let missing = check("tls", healthy(tls: .failed("openssl is not installed on the host")))
        #expect(missing?.state == .unknown && missing?.informational == false)
    }

    @Test func customThresholdsApply() {
        var thresholds = HealthThresholds()
        thresholds.diskFreeWarningPercent = 60
        thresholds.diskFreeCriticalPercent = 40
        let custom = HealthEvaluator(thresholds: thresholds)
        #expect(check("disk", healthy(disk: 50), custom)?.state == .warning)
        #expect(check("disk", healthy(disk: 39), custom)?.state == .critical)
    }

    @Test func failuresAreCriticalOrUnknown() {
        var observation = healthy()
        observation.adminHealth = .value(AdminHealth(status: false, quickCheck: "*** in database main ***"))
        #expect(check("database", observation)?.state == .critical)
        observation.adminHealth = .failed("connection refused")
        #expect(check("admin_api", observation)?.state == .critical)
        #expect(check("database", observation)?.state == .unknown)
        observation.publicHealth = .value(503)
        #expect(check("public_health", observation)?.state == .critical)
        observation.agent = .value(AgentProcess(running: false, detail: "no mai-agent process"))
        #expect(check("agent", observation)?.state == .critical)
        observation.disk = .failed("df failed")
        #expect(check("disk", observation)?.state == .unknown)
    }

    @Test func unreachableIsCriticalAndNamed() {
        let observation = HealthObservation.unreachable("connection refused", publicHealth: .value(200), publicHealthURL: "http://h/health")
        let health = evaluator.evaluate(observation, instance: "globex", address: "h", now: now)
        #expect(health.state == .critical)
        #expect(health.problems.first?.message == "connection refused")
        #expect(health.checks.first { $0.name == "disk" }?.state == .unknown)
        let fleet = FleetHealth(instances: [health, evaluator.evaluate(healthy(), instance: "acme", address: "a", now: now)], checkedAt: now)
        #expect(fleet.state == .critical && fleet.exitCode == 2)
        #expect(fleet.summaryLine == "CRITICAL: 1 CRITICAL (globex), 1 OK")
        #expect(fleet.counts.critical == 1 && fleet.counts.ok == 1)
    }

    @Test func exitCodeIsTheWorstStateAndUnknownOnlyWhenNothingWorse() {
        func fleet(_ states: [HealthState]) -> FleetHealth {
            FleetHealth(instances: states.enumerated().map { InstanceHealth(instance: "i\($0.offset)", address: "", checks: [HealthCheck("x", $0.element, "")]) },
                        checkedAt: now)
        }
        #expect(fleet([]).exitCode == 0)
        #expect(fleet([.ok, .ok]).exitCode == 0)
        #expect(fleet([.ok, .unknown]).exitCode == 3)
        #expect(fleet([.unknown, .warning]).exitCode == 1)
        #expect(fleet([.warning, .critical, .unknown]).exitCode == 2)
        #expect(HealthState.allCases.map(\.exitCode).sorted() == [0, 1, 2, 3])
        // Informational checks never set the state.
        let informational = InstanceHealth(instance: "a", address: "", checks: [HealthCheck("backup_age", .unknown, "", informational: true)])
        #expect(informational.state == .ok)
    }

    @Test func jsonUsesSnakeCaseAndStateNames() throws {
        let fleet = FleetHealth(instances: [evaluator.evaluate(healthy(), instance: "acme", address: "a", now: now)], checkedAt: now).withoutInformational
        #expect(fleet.instances[0].checks.allSatisfy { !$0.informational })
        let encoder = MaiCore.AdminAPI.encoder
        let text = String(decoding: try encoder.encode(fleet), as: UTF8.self)
        #expect(text.contains("\"checked_at\":\"2027-01-15T08:00:00Z\""), "\(text)")
        #expect(text.contains("\"state\":\"OK\""))
        #expect(text.contains("\"counts\":{\"critical\":0,\"ok\":1,\"unknown\":0,\"warning\":0}"), "\(text)")
    }
}
