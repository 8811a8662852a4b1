import Foundation
import MaiCore
import Synchronization

extension Provisioner {
    /// Why `run` stopped before it changed anything, or after the shared resources.
    public enum RunError: Error, Sendable, CustomStringConvertible {
        /// Nothing was changed: `detail` says what to fix first.
        case nothingChanged(detail: String)
        /// The SSH keys or the firewall failed part way; `changed` lists what was done before it.
        case sharedFailed(detail: String, changed: [String])

        public var description: String {
            switch self {
            case .nothingChanged(let detail): "\(detail) Nothing was changed in the Hetzner project."
            case .sharedFailed(let detail, let changed):
                changed.isEmpty ? "\(detail) Nothing was changed in the Hetzner project."
                    : "\(detail) Already done: \(changed.joined(separator: "; ")). Run provision again once it is fixed: it only adds what is missing."
            }
        }
    }

    /// Renders every server's user data that `plan` would create — templates, the 32 KiB limit,
    /// the operator's e-mail — before anything in the project changes.
    public func preflight(_ plan: ProvisionPlan, instances: [Instance]) throws {
        let creating = Set(plan.items.filter { $0.resource == "server" && $0.change == .create }.compactMap(\.client))
        for instance in instances where creating.contains(instance.slug) {
            _ = try cloudInit.userData(for: instance, operatorEmail: defaults.operatorEmail, hostKey: GeneratedHostKey(comment: "preflight"))
        }
    }

    /// `maictl provision`: survey, plan, check everything, then the SSH keys and the firewall, then
    /// the servers (create calls one after the other, so addresses follow client order and API calls
    /// stay few; then the waits in parallel). One outcome per instance, in order.
    public func run(instances: [Instance], fleetSlugs: Set<String>, parallel: Int) async throws -> [Outcome] {
        let survey: Survey
        do {
            survey = try await self.survey(for: instances)
        } catch {
            throw RunError.nothingChanged(detail: "\(error).")
        }
        let plan = self.plan(instances: instances, fleetSlugs: fleetSlugs, survey: survey)
        let blocking = plan.problems.filter { $0.resource == "ssh_key" }
        if !blocking.isEmpty {
            throw RunError.nothingChanged(detail: blocking.map(\.detail).joined(separator: "; "))
        }
        do {
            try preflight(plan, instances: instances)
        } catch {
            throw RunError.nothingChanged(detail: "\(error).")
        }
        let firewallID: Int
        let changes = Changes()
        do {
            firewallID = try await ensureShared(plan, survey: survey, changed: { changes.append($0) })
        } catch {
            throw RunError.sharedFailed(detail: "\(error).", changed: changes.all)
        }
        let items = instances.map { instance in plan.items.first { $0.resource == "server" && $0.client == instance.slug } }
        var started: [String: Result<PendingServer, any Error>] = [:]
        for (instance, item) in zip(instances, items) where item?.change == .create {
            do {
                started[instance.slug] = .success(try await startCreate(instance, firewallID: firewallID))
            } catch {
                started[instance.slug] = .failure(error)
            }
        }
        let begun = started
        let results = await withBoundedParallelism(limit: parallel, over: Array(zip(instances, items))) { instance, item in
            if let pending = begun[instance.slug] { return try await self.finish(try pending.get()) }
            guard let item else { throw ProvisionError.noServer(slug: instance.slug) }
            return try await self.provision(instance, item: item, firewallID: firewallID, survey: survey)
        }
        return zip(instances, results).map { instance, result in
            switch result {
            case .success(let outcome): outcome
            case .failure(let error): Outcome(client: instance.slug, result: "failed", detail: "\(error)")
            }
        }
    }
}

/// What a run changed so far, for an honest report when a later step fails.
private final class Changes: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}
