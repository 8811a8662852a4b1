import ArgumentParser
import Foundation
import MaiFleet

/// `maictl lock status|release`: the deploy locks — this machine's fleet lock and each host's.
struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Show or release deploy locks (local fleet lock and /srv/mai/deploy.lock on hosts).",
        subcommands: [Status.self, Release.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who holds which deploy lock. Exit 3 when any is held, 1 when a host could not be asked.",
                                                        discussion: "Example: maictl lock status --only acme,globex")
        @OptionGroup var selection: InstanceSelection
        @Option(help: ArgumentHelp("Container engine on the hosts.", valueName: "podman|docker")) var engine = "podman"

        func run() async throws {
            let instances = try selection.instances()
            let connector = try selection.connector()
            var held = false
            var unknown = 0
            if let holder = LocalFleetLock(stateDirectory: connector.state.url).currentHolder() {
                print("local: \(holder)")
                held = true
            } else {
                print("local: free")
            }
            let commands = EngineCommands(engine: engine)
            let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance -> String in
                // The session is closed before the result is returned (never left to a detached task).
                try await connector.withSession(instance) { session in
                    let result = try await session.exec(commands.lockStatus(), timeout: .seconds(20))
                    return result.succeeded ? LockHolder(fileText: result.stdoutText).description : "free"
                }
            }
            for (instance, result) in zip(instances, results) {
                switch result {
                case .success(let text):
                    print("\(instance.slug): \(text)")
                    if text != "free" { held = true }
                case .failure(let error):
                    print("\(instance.slug): unknown (\(error))")
                    unknown += 1
                    Stderr.write("maictl lock status: \(instance.slug): cannot read the lock: \(error)")
                }
            }
            if held { throw ExitCode(3) }
            if unknown > 0 { throw ExitCode(1) }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a host's deploy lock left by a deploy that died. Never needed for a running deploy.",
            discussion: "Example: maictl lock release acme")
        @Argument(help: "Clients whose lock to release.") var clients: [String] = []
        @Flag(help: "Every enabled client.") var all = false
        @OptionGroup var fleet: FleetOptions
        @Option(help: ArgumentHelp("Container engine on the hosts.", valueName: "podman|docker")) var engine = "podman"

        func validate() throws {
            guard all != !clients.isEmpty else { throw ValidationError("Name the clients, or --all.") }
        }

        func run() async throws {
            let selection = InstanceSelection.make(fleet: fleet, only: all ? nil : clients.joined(separator: ","))
            let instances = try selection.instances()
            let connector = try selection.connector()
            if let holder = LocalFleetLock(stateDirectory: connector.state.url).currentHolder() {
                Stderr.write("The local fleet lock is \(holder): a deploy is running from this machine. Releasing host locks under it is refused.")
                throw ExitCode(3)
            }
            let commands = EngineCommands(engine: engine)
            let actor = LockHolder.current(message: "").holder
            let audit = LocalAuditLog(stateDirectory: connector.state.url)
            let results = await withBoundedParallelism(limit: selection.parallel, over: instances) { instance -> String in
                try await connector.withSession(instance) { session in
                    let status = try await session.exec(commands.lockStatus(), timeout: .seconds(20))
                    guard status.succeeded else { return "was free" }
                    let holder = LockHolder(fileText: status.stdoutText)
                    let released = try await session.exec(commands.releaseLock(), timeout: .seconds(20))
                    guard released.succeeded else {
                        let reason = (released.stderrText + released.stdoutText).trimmingCharacters(in: .whitespacesAndNewlines)
                        throw FleetDeployerError(detail: "removing \(commands.layout.lockDirectory) failed (exit \(released.exitStatus))"
                                                 + (reason.isEmpty ? "" : ": \(reason)"))
                    }
                    let entry = AuditEntry(time: AuditEntry.timestamp(Date()), actor: actor, instance: instance.slug, action: "unlock",
                                           version: nil, outcome: "ok", detail: "released a lock \(holder)")
                    audit.append(entry)
                    _ = try? await session.exec(commands.appendAudit(), stdin: Data(entry.line.utf8), timeout: .seconds(20))
                    return "released (was \(holder))"
                }
            }
            var failed = 0
            for (instance, result) in zip(instances, results) {
                switch result {
                case .success(let text): print("\(instance.slug): \(text)")
                case .failure(let error):
                    failed += 1
                    print("\(instance.slug): not released (\(error))")
                    Stderr.write("maictl lock release: \(instance.slug): not released: \(error)")
                }
            }
            if failed > 0 { throw fleetExitCode(failures: failed, total: instances.count) }
        }
    }
}
