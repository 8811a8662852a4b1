import Foundation
import MaiCore

/// A rollout over many instances: every selected host's deploy lock first (all or nothing), then
/// the plan's steps — canary alone, then batches in parallel — stopping after `maxFailures`.
/// Ledger and audit are written as each instance finishes.
public struct FleetDeployer: Sendable {
    /// Opens a runner for an instance (an SSH session, or a dry-run printer) and closes it after.
    public typealias Connect = @Sendable (Instance, @Sendable (HostRunner) async throws -> Void) async throws -> Void

    public var connect: Connect
    public var deployer: InstanceDeployer
    public var ledger: LedgerFile?
    public var progress: @Sendable (String) -> Void
    public var lockWait: Duration

    public init(connect: @escaping Connect, deployer: InstanceDeployer, ledger: LedgerFile?, lockWait: Duration,
                progress: @escaping @Sendable (String) -> Void) {
        self.connect = connect
        self.deployer = deployer
        self.ledger = ledger
        self.lockWait = lockWait
        self.progress = progress
    }

    /// Why a rollout did not start. `stuck` names the hosts whose lock, taken by this rollout,
    /// could not be given back.
    public enum StartError: Error, Sendable, CustomStringConvertible {
        case locked([(String, LockHolder)], stuck: [String] = [])
        case unreachable([(String, String)], stuck: [String] = [])

        public var description: String {
            var lines: [String]
            let stuck: [String]
            switch self {
            case .locked(let held, let notReleased):
                lines = held.map { "\($0.0): deploy lock \($0.1)" }
                lines.append("Wait for that deploy to finish (or --lock-wait), or if it died: maictl lock release <client>.")
                stuck = notReleased
            case .unreachable(let failed, let notReleased):
                lines = failed.map { "\($0.0): cannot take the deploy lock: \($0.1)" }
                stuck = notReleased
            }
            lines.append(stuck.isEmpty ? "Nothing was deployed; the deploy locks this run had taken were released."
                         : "Nothing was deployed; the deploy lock could not be released on \(stuck.joined(separator: ", ")): "
                            + "maictl lock release \(stuck.joined(separator: " ")).")
            return lines.joined(separator: "\n")
        }
    }

    /// Takes every instance's remote lock; on any refusal releases those taken and throws.
    public func lockAll(_ instances: [Instance], holder: LockHolder, parallel: Int) async throws {
        let commands = deployer.commands
        let deadline = ContinuousClock.now + lockWait
        let wait = lockWait
        let results = await withBoundedParallelism(limit: parallel, over: instances) { instance -> LockHolder? in
            let box = ResultBox<LockHolder?>(nil)
            try await connect(instance) { host in
                while true {
                    let result = try await host.run(commands.acquireLock(), stdin: Data(holder.fileText.utf8), timeout: .seconds(30))
                    if result.succeeded { await box.set(nil); return }
                    guard result.exitStatus == 3 else {
                        throw FleetDeployerError(detail: "taking the deploy lock failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
                    }
                    if wait == .zero || ContinuousClock.now >= deadline {
                        await box.set(LockHolder(fileText: result.stdoutText))
                        return
                    }
                    try await Task.sleep(for: .seconds(1))
                }
            }
            return await box.value
        }
        var held: [(String, LockHolder)] = []
        var failed: [(String, String)] = []
        var taken: [Instance] = []
        for (instance, result) in zip(instances, results) {
            switch result {
            case .success(.some(let holder)): held.append((instance.slug, holder))
            case .success(.none): taken.append(instance)
            case .failure(let error): failed.append((instance.slug, "\(error)"))
            }
        }
        if held.isEmpty && failed.isEmpty { return }
        let stuck = await unlock(taken, parallel: parallel)
        if !held.isEmpty { throw StartError.locked(held, stuck: stuck) }
        throw StartError.unreachable(failed, stuck: stuck)
    }

    /// Releases the remote locks of `instances`; returns the slugs whose lock could not be
    /// released (a host that cannot be reached keeps its lock; `maictl lock release` frees it later).
    @discardableResult
    public func unlock(_ instances: [Instance], parallel: Int) async -> [String] {
        let commands = deployer.commands
        let results = await withBoundedParallelism(limit: parallel, over: instances) { instance -> Bool in
            let box = ResultBox<Bool>(false)
            try await connect(instance) { host in
                await box.set(try await host.run(commands.releaseLock(), timeout: .seconds(30)).succeeded)
            }
            return await box.value
        }
        return zip(instances, results).compactMap { instance, result in (try? result.get()) == true ? nil : instance.slug }
    }

    /// Runs the plan. Every instance the rollout does not reach is reported `skipped`.
    public func rollout(_ plan: RolloutPlan, requests: [String: DeployRequest], parallel: Int) async -> [InstanceOutcome] {
        var outcomes: [InstanceOutcome] = []
        var failures = 0
        var stopped = false
        for (index, step) in plan.steps.enumerated() {
            if stopped {
                outcomes += step.compactMap { slug in
                    requests[slug].map { InstanceOutcome(instance: slug, from: nil, to: $0.version, result: .skipped, detail: "rollout stopped before this instance") }
                }
                continue
            }
            progress(index == 0 ? "canary: \(step.joined(separator: ", "))" : "step \(index): \(step.joined(separator: ", "))")
            let stepRequests = step.compactMap { requests[$0] }
            let results = await withBoundedParallelism(limit: parallel, over: stepRequests) { request -> InstanceOutcome in
                await deployOne(request)
            }
            for (request, result) in zip(stepRequests, results) {
                let outcome = (try? result.get()) ?? InstanceOutcome(instance: request.instance.slug, from: nil, to: request.version,
                                                                       result: .failed, detail: "no result")
                if outcome.result == .failed { failures += 1 }
                // The ledger is written here, one instance after the other (not from the parallel tasks).
                // The ledger records what serves: a deploy, an unchanged instance it did not know yet,
                // or a switch whose old container then failed to stop.
                let known = (try? ledger?.load())?.current(request.instance.slug)
                if outcome.result == .deployed || (outcome.serving == request.version && known != request.version) {
                    do {
                        try ledger?.update { book in
                            book.record(.init(version: request.version, image: request.image,
                                              deployedAt: AuditEntry.timestamp(Date()), kind: request.kind), for: request.instance.slug)
                        }
                    } catch {
                        progress("\(request.instance.slug): could not write the ledger: \(error)")
                    }
                }
                outcomes.append(outcome)
            }
            if !plan.continues(afterStep: index, failures: failures) {
                stopped = true
                progress(index == 0 && failures > 0
                         ? "the canary failed: rollout stopped; the other instances were not touched"
                         : "\(failures) instance(s) failed (--max-failures \(plan.maxFailures)): rollout stopped")
            }
        }
        return outcomes
    }

    /// One instance, under its lock (released after, whatever happened).
    func deployOne(_ request: DeployRequest) async -> InstanceOutcome {
        let box = ResultBox<InstanceOutcome?>(nil)
        let deployer = self.deployer
        let ledgerFile = self.ledger
        do {
            try await connect(request.instance) { host in
                let ledger = (try? ledgerFile?.load()) ?? DeployLedger()
                let outcome = await deployer.deploy(request, on: host, ledger: ledger)
                let released = try? await host.run(deployer.commands.releaseLock(), timeout: .seconds(30))
                if released?.succeeded != true {
                    progress("\(request.instance.slug): could not release the deploy lock: maictl lock release \(request.instance.slug)")
                }
                await box.set(outcome)
            }
        } catch {
            return InstanceOutcome(instance: request.instance.slug, from: nil, to: request.version, result: .failed,
                                   detail: "cannot reach the host: \(error)")
        }
        return await box.value ?? InstanceOutcome(instance: request.instance.slug, from: nil, to: request.version, result: .failed, detail: "no result")
    }
}

public struct FleetDeployerError: Error, CustomStringConvertible {
    public let detail: String
    public init(detail: String) { self.detail = detail }
    public var description: String { detail }
}

/// A value set inside a `connect` closure and read after it.
actor ResultBox<Value: Sendable> {
    private(set) var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { value = newValue }
}
