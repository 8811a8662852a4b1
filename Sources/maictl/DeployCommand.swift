import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `maictl deploy`: a rolling deploy of one version — canary first, then batches — with a backup,
/// a health-checked new container beside the old one and a zero-downtime switch per instance.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Roll a version of the agent out: canary first, then batches; stops after --max-failures.",
        discussion: """
            Per instance, under its deploy lock (/srv/mai/deploy.lock): back up the database, get the \
            image (pull, or --push-image: podman save streamed over SSH), write /srv/mai/env (0600), \
            start the new container beside the serving one, wait for its health check, switch Caddy \
            to it (graceful reload), stop the old one. A new container that does not become healthy \
            is stopped and the old one keeps serving.

            Exit codes: 0 every instance serves the version, 2 some failed or were skipped, 3 a deploy \
            lock is held (the holder is named), 1 nothing could start, 64 usage error.

            Example: maictl deploy --version 0.2.0 --batch 25% --push-image
            """
    )

    @OptionGroup var selection: InstanceSelection
    @OptionGroup var rollout: RolloutOptions
    @Flag(help: "Deploy to every enabled client (or name them with --only).") var all = false
    @Option(help: ArgumentHelp("The version (image tag) to deploy; default [agent] version in fleet.toml.", valueName: "V"))
    var version: String?

    func validate() throws {
        guard all || selection.only != nil else { throw ValidationError("Say which clients: --all, or --only a,b.") }
        guard !(all && selection.only != nil) else { throw ValidationError("Use either --all or --only, not both.") }
        try rollout.check()
        if let version { guard RolloutOptions.isTag(version) else { throw ValidationError("--version must be an image tag (letters, digits, . _ -).") } }
    }

    func run() async throws {
        let instances = try selection.instances()
        let fleetDefaults = try? FleetLoader(directory: selection.fleet.directoryURL, displayPath: selection.fleet.directory).load().defaults
        guard let version = version ?? fleetDefaults.map({ $0.agent.version }), !version.isEmpty else {
            Stderr.write("No version: pass --version V or set [agent] version in fleet.toml.")
            throw ExitCode(64)
        }
        let targets = Dictionary(uniqueKeysWithValues: instances.map { ($0.slug, version) })
        let code = try await rollout.execute(instances: instances, versions: targets, kind: "deploy", selection: selection,
                                             defaults: fleetDefaults?.deploy ?? FleetDefaults.Deploy())
        if code != 0 { throw ExitCode(code) }
    }
}
