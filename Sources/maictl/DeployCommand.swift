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
            start the new container beside the serving one, wait for its health check, let Caddy move \
            to it (both slots are in its configuration: no reload), stop the old one, and keep the \
            newest five pre-deploy backups. A new container that does not become healthy \
            is stopped and the old one keeps serving.

            Each client gets --version, except a client whose file pins agent_version: it keeps its pin \
            unless named with --only. Without --version, each client gets its own agent_version or \
            fleet.toml's. An instance already serving its version is left alone unless --force: then it \
            gets a new container all the same, which is how changed settings (markup, sign-up, the \
            OpenRouter key, the fleet token) reach it without a new version.

            The env file's OpenRouter key is the client's own from the state directory \
            (instances/<client>/openrouter-key); the shell's OPENROUTER_API_KEY only in a fleet of one \
            enabled client. In a larger fleet it goes to no client: one whose agent uses a key of its own \
            keeps it (no key line), one without fails before anything changes on it, with what to do \
            (maictl keys create <client>).

            Exit codes: 0 every instance serves the version, 2 some failed or were skipped, 3 a deploy \
            lock is held (the holder is named), 1 nothing could start, 64 usage error.

            Example: maictl deploy --version 0.2.0 --batch 25% --push-image
            """
    )

    @OptionGroup var selection: InstanceSelection
    @OptionGroup var rollout: RolloutOptions
    @Flag(help: "Deploy to every enabled client (or name them with --only).") var all = false
    @Option(help: ArgumentHelp("The version (image tag) to deploy; default each client's agent_version or fleet.toml's.", valueName: "V"))
    var version: String?
    @Flag(help: "Redeploy instances already serving the version (brings changed settings, key and token).")
    var force = false

    func validate() throws {
        guard all || selection.only != nil else { throw ValidationError("Say which clients: --all, or --only a,b.") }
        guard !(all && selection.only != nil) else { throw ValidationError("Use either --all or --only, not both.") }
        try rollout.check()
        if let version { guard RolloutOptions.isTag(version) else { throw ValidationError("--version must be an image tag (letters, digits, . _ -).") } }
    }

    func run() async throws {
        let instances = try selection.instances()
        let fleetDefaults = try? FleetLoader(directory: selection.fleet.directoryURL, displayPath: selection.fleet.directory).load().defaults
        let named = Set((selection.only ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let targets = RolloutTargets.deploy(instances: instances, requested: version, named: named)
        if let empty = instances.first(where: { (targets.versions[$0.slug] ?? "").isEmpty }) {
            Stderr.write("No version for \(empty.slug): pass --version V or set [agent] version in fleet.toml.")
            throw ExitCode(64)
        }
        targets.notes.forEach { Stderr.write($0) }
        let code = try await rollout.execute(instances: instances, versions: targets.versions, kind: "deploy", selection: selection,
                                             defaults: fleetDefaults?.deploy ?? FleetDefaults.Deploy(), force: force)
        if code != 0 { throw ExitCode(code) }
    }
}
