import Foundation
import Testing
@testable import MaiFleet

@Suite("Deploy: rollout planning and the version ledger")
struct RolloutPlanTests {
    let ten = (1...10).map { "c\($0)" }

    @Test func canaryGoesAloneThenBatches() {
        let plan = RolloutPlan(instances: ten, batch: .count(4), maxFailures: 1)
        #expect(plan.steps == [["c1"], ["c2", "c3", "c4", "c5"], ["c6", "c7", "c8", "c9"], ["c10"]])
    }

    @Test func aNamedCanaryGoesFirst() {
        let plan = RolloutPlan(instances: ["a", "b", "c"], batch: .count(5), maxFailures: 1, canary: "b")
        #expect(plan.steps == [["b"], ["a", "c"]])
    }

    @Test func percentagesRoundUpOverTheInstancesAfterTheCanary() {
        #expect(RolloutPlan.BatchSize("25%") == .percent(25))
        #expect(RolloutPlan(instances: ten, batch: .percent(25), maxFailures: 1).steps.map(\.count) == [1, 3, 3, 3])
        #expect(RolloutPlan(instances: ten, batch: .percent(100), maxFailures: 1).steps.map(\.count) == [1, 9])
        #expect(RolloutPlan(instances: ten, batch: .percent(1), maxFailures: 1).steps.map(\.count) == [1] + Array(repeating: 1, count: 9))
    }

    @Test func batchSizesRefuseNonsense() {
        for bad in ["0", "-1", "0%", "101%", "x", "", "%", "2.5"] { #expect(RolloutPlan.BatchSize(bad) == nil, "\(bad)") }
        #expect(RolloutPlan.BatchSize("3") == .count(3))
    }

    @Test func edgeCases() {
        #expect(RolloutPlan(instances: [], batch: .count(2), maxFailures: 1).steps.isEmpty)
        #expect(RolloutPlan(instances: ["a"], batch: .count(2), maxFailures: 1).steps == [["a"]])
    }

    @Test func aFailedCanaryStopsEverythingWhateverTheLimit() {
        let plan = RolloutPlan(instances: ten, batch: .count(3), maxFailures: 5)
        #expect(!plan.continues(afterStep: 0, failures: 1))
        #expect(plan.continues(afterStep: 0, failures: 0))
    }

    @Test func laterStepsStopAtMaxFailures() {
        let plan = RolloutPlan(instances: ten, batch: .count(3), maxFailures: 2)
        #expect(plan.continues(afterStep: 1, failures: 1))
        #expect(!plan.continues(afterStep: 1, failures: 2))
        #expect(!plan.continues(afterStep: 2, failures: 3))
        #expect(RolloutPlan(instances: ten, batch: .count(3), maxFailures: 0).maxFailures == 1)
    }

    func record(_ version: String) -> DeployLedger.Record {
        .init(version: version, image: "localhost/mai-agent:\(version)", deployedAt: "t", kind: "deploy")
    }

    @Test func ledgerKnowsCurrentAndPrevious() {
        var ledger = DeployLedger()
        #expect(ledger.current("acme") == nil && ledger.previous("acme") == nil)
        ledger.record(record("v1"), for: "acme")
        #expect(ledger.current("acme") == "v1" && ledger.previous("acme") == nil)
        ledger.record(record("v2"), for: "acme")
        ledger.record(record("v2"), for: "acme")
        #expect(ledger.current("acme") == "v2" && ledger.previous("acme") == "v1", "a re-deploy of v2 is not a version to go back to")
        ledger.record(record("v1"), for: "acme")
        #expect(ledger.previous("acme") == "v2", "after a rollback, rolling back again returns to v2")
        #expect(ledger.current("other") == nil)
    }

    @Test func ledgerKeepsTheNewestDistinctVersionsForPruning() {
        var ledger = DeployLedger()
        for version in ["v1", "v2", "v3", "v2", "v4"] { ledger.record(record(version), for: "acme") }
        #expect(ledger.versionsToKeep("acme", keep: 3) == ["v4", "v2", "v3"])
        #expect(ledger.versionsToKeep("acme", keep: 0) == ["v4"], "never prune everything")
    }

    @Test func ledgerFileRoundTripsAtomically() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mai-ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = LedgerFile(stateDirectory: directory)
        #expect(try file.load() == DeployLedger())
        try file.update { $0.record(record("v1"), for: "acme") }
        try file.update { $0.record(record("v2"), for: "acme") }
        #expect(try file.load().previous("acme") == "v1")
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["ledger.json"])
    }
}
