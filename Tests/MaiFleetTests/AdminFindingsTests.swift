import Foundation
import MaiCore
import Testing
@testable import MaiFleet

/// What one `/admin/v1/health` answer settles for `maictl health`, and what is left to the host's
/// shell or to `/admin/v1/status`.
@Suite("Health: what the admin API answer settles")
struct AdminFindingsTests {
    let finished = Date(timeIntervalSince1970: 1_800_000_000)

    var current: AdminHealth {
        AdminHealth(status: true, quickCheck: "ok", dataDirFreeBytes: 400 << 20, provisional: 0,
                    resources: .init(disk: .init(path: "/data", totalBytes: 1000 << 20, availableBytes: 400 << 20),
                                     memory: .init(totalBytes: 2048 << 20, availableBytes: 512 << 20)),
                    agent: .init(version: "0.1.0", pid: 42, uptimeSeconds: 7300, lastConfirmationAt: finished, openrouterKeyHash: "ab12"))
    }

    @Test func aCurrentAgentAnswersEverythingSoTheHostIsNotAsked() throws {
        let findings = AdminFindings(.value(current))
        guard case .value(let agent)? = findings.agent, case .value(let disk)? = findings.disk, case .value(let memory)? = findings.memory,
              case .value(let confirmation)? = findings.confirmation, case .value(let hash)? = findings.keyHash
        else { Issue.record("\(findings)"); return }
        #expect(agent.running && agent.detail == "mai-agent 0.1.0 answering (pid 42, up 2h)")
        #expect(disk == DiskUsage(totalKiB: 1000 * 1024, availableKiB: 400 * 1024, mountPoint: "/data"))
        #expect(memory.availablePercent == 25)
        #expect(confirmation == finished && hash == "ab12")
        // And the evaluator shows where the disk figure comes from.
        var observation = HealthObservation(agent: .value(agent), publicHealth: .value(200), publicHealthURL: "u", adminHealth: findings.admin,
                                            disk: .value(disk), memory: .value(memory), lastConfirmation: .value(confirmation),
                                            tlsNotAfter: .notApplicable("test"))
        observation.lastBackup = .value(finished)
        let checks = HealthEvaluator().evaluate(observation, instance: "acme", address: "a", now: finished).checks
        #expect(checks.first { $0.name == "disk" }?.message == "40.0% free on /data (0.4 GiB)")
    }

    @Test func aNeverConfirmedAgentIsKnownNotMissing() {
        var health = current
        health.agent?.lastConfirmationAt = nil
        health.agent?.openrouterKeyHash = nil
        let findings = AdminFindings(.value(health))
        guard case .value(let confirmation)? = findings.confirmation, case .value(let hash)? = findings.keyHash else {
            Issue.record("\(findings)"); return
        }
        #expect(confirmation == nil && hash == nil)
    }

    @Test func anOlderAgentLeavesTheRestToTheHostAndToStatus() throws {
        // What agents before the resources/agent fields answer.
        let json = #"{"status":true,"quick_check":"ok","data_dir_free_bytes":1024,"provisional":0}"#
        let old = try AdminAPI.decoder.decode(AdminHealth.self, from: Data(json.utf8))
        #expect(old.resources == nil && old.agent == nil)
        let findings = AdminFindings(.value(old))
        #expect(findings.agent == nil && findings.disk == nil && findings.memory == nil)
        #expect(findings.confirmation == nil && findings.keyHash == nil)
    }

    @Test func unreadableResourcesAreFailuresWithTheAgentsReason() {
        var health = current
        health.resources = .init(disk: nil, memory: nil, problems: ["statvfs(/data) failed: Permission denied"])
        let findings = AdminFindings(.value(health))
        guard case .failed(let disk)? = findings.disk, case .failed(let memory)? = findings.memory else { Issue.record("\(findings)"); return }
        #expect(disk.contains("Permission denied") && memory.contains("Permission denied"))
    }

    @Test func aSilentAdminAPILeavesTheProcessToTheHostAndSkipsTheBooks() {
        let findings = AdminFindings(.failed("tunnel refused"))
        #expect(findings.agent == nil && findings.disk == nil && findings.memory == nil)
        guard case .skipped(let reason)? = findings.confirmation else { Issue.record("\(findings)"); return }
        #expect(reason.contains("admin API did not answer"))
    }
}
