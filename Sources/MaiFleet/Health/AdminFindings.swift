import Foundation
import MaiCore

/// What one `GET /admin/v1/health` answer tells `maictl health`, and — as `nil` — what must still
/// be looked at elsewhere: on the host over SSH (agent process, disk, memory) or in
/// `/admin/v1/status` (last confirmation, key hash; older agents). Pure.
struct AdminFindings: Sendable {
    var admin: Observed<AdminHealth>
    var agent: Observed<AgentProcess>?
    var disk: Observed<DiskUsage>?
    var memory: Observed<MemoryInfo>?
    var confirmation: Observed<Date?>?
    var keyHash: Observed<String?>?

    init(_ admin: Observed<AdminHealth>) {
        self.admin = admin
        guard case .value(let health) = admin else {
            // Silent admin API: the host tells whether the agent runs; the books cannot be read.
            let reason = "not checked: the admin API did not answer"
            confirmation = .skipped(reason)
            keyHash = .skipped("the admin API did not answer")
            return
        }
        if let facts = health.agent {
            agent = .value(AgentProcess(running: true, detail: "mai-agent \(facts.version) answering (pid \(facts.pid), up \(HealthFormat.age(Double(facts.uptimeSeconds))))"))
            confirmation = .value(facts.lastConfirmationAt)
            keyHash = .value(facts.openrouterKeyHash)
        }
        if let resources = health.resources {
            let why = resources.problems.isEmpty ? "the agent did not say" : resources.problems.joined(separator: "; ")
            disk = resources.disk.map {
                .value(DiskUsage(totalKiB: $0.totalBytes / 1024, availableKiB: $0.availableBytes / 1024, mountPoint: $0.path))
            } ?? .failed(why)
            memory = resources.memory.map {
                .value(MemoryInfo(totalKiB: $0.totalBytes / 1024, availableKiB: $0.availableBytes / 1024))
            } ?? .failed(why)
        }
    }
}
