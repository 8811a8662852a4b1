import ArgumentParser
import Foundation
import MaiCore
import MaiFleet

/// `<client>` or `--all`, for the commands that act on whole clients (brand, backup, restore).
struct ClientTarget: ParsableArguments {
    @Argument(help: ArgumentHelp("The client (its slug).", valueName: "client"))
    var client: String?

    @Flag(help: "Every enabled client.")
    var all = false

    @OptionGroup var selection: InstanceSelection

    func validate() throws {
        guard (client != nil) != all else { throw ValidationError("Name one client, or pass --all.") }
    }

    /// The fleet and the instances meant.
    func resolve() throws -> (fleet: Fleet, instances: [Instance]) {
        let fleet: Fleet
        do {
            fleet = try FleetLoader(directory: selection.fleet.directoryURL, displayPath: selection.fleet.directory).load()
        } catch {
            Stderr.write(error.description)
            Stderr.write("Fix the fleet files (maictl fleet validate) and try again.")
            throw ExitCode(64)
        }
        let instances = try selection.instances(onlyClient: client)
        return (fleet, instances)
    }
}

/// `maictl brand push <client>|--all`: validate each client's brand directory, then send it.
struct BrandCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brand",
        abstract: "Give each client its own name, colours, logo and favicon.",
        subcommands: [BrandPush.self, BrandCheck.self]
    )
}

struct BrandCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate fleet/clients/<client>/brand/ without sending anything.",
        discussion: "Example: maictl brand check acme"
    )

    @Argument(help: ArgumentHelp("The client (its slug).", valueName: "client")) var client: String
    @OptionGroup var fleet: FleetOptions

    func run() throws {
        let directory = BrandFiles.directory(fleet: fleet.directoryURL, slug: client)
        do {
            let update = try BrandFiles.load(directory: directory, displayPath: "\(fleet.directory)/clients/\(client)/brand")
            print("\(client): brand ok — name \(update.name ?? "(instance default)"), \(update.light.count) light and \(update.dark.count) dark colours, "
                  + "logo \(update.logo.map { "\($0.contentType) \($0.data.count) B" } ?? "none"), favicon \(update.favicon.map { "\($0.contentType) \($0.data.count) B" } ?? "none")")
        } catch {
            Stderr.write(error.description)
            throw ExitCode(1)
        }
    }
}

struct BrandPush: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Validate fleet/clients/<client>/brand/ and send it to the client's agent (shown at once).",
        discussion: """
            Reads brand.toml and the logo/favicon it names; checks image types by content, sizes, the
            contrast of text on the primary colour (WCAG AA, 4.5:1) and refuses SVGs with scripts, event
            handlers, javascript: URLs, external references or <foreignObject>. The agent checks again.
            Examples: maictl brand push acme · maictl brand push --all
            """
    )

    @OptionGroup var target: ClientTarget

    func run() async throws {
        let (_, instances) = try target.resolve()
        let fleetDirectory = target.selection.fleet
        // Validate everything before sending anything.
        var updates: [String: BrandingUpdate] = [:]
        var invalid = 0
        for instance in instances {
            let relative = BrandFiles.relativeDirectory(slug: instance.slug, brandDir: instance.brandDirectory)
            let directory = fleetDirectory.directoryURL.appendingPathComponent(relative, isDirectory: true)
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(BrandFiles.fileName).path) else {
                if target.all {
                    Stderr.write("\(instance.slug): no \(relative)/\(BrandFiles.fileName) — skipped (built-in look)")
                    continue
                }
                Stderr.write("\(fleetDirectory.directory)/\(relative)/\(BrandFiles.fileName): no such file — create it (README, \"Branding\").")
                throw ExitCode(1)
            }
            do {
                updates[instance.slug] = try BrandFiles.load(directory: directory, displayPath: "\(fleetDirectory.directory)/\(relative)")
            } catch {
                Stderr.write(error.description)
                invalid += 1
            }
        }
        guard invalid == 0 else {
            Stderr.write("Nothing was sent: fix the brand files above and run the command again.")
            throw ExitCode(1)
        }
        let chosen = instances.filter { updates[$0.slug] != nil }
        guard !chosen.isEmpty else {
            Stderr.write("No client has a brand directory (fleet/clients/<client>/brand/brand.toml).")
            throw ExitCode(1)
        }
        let connector = try target.selection.connector()
        let toSend = updates
        let results = await withBoundedParallelism(limit: target.selection.parallel, over: chosen) { instance in
            let update = toSend[instance.slug]!
            return try await connector.withAdminAPI(instance) { client, _ in try await client.pushBranding(update) }
        }
        var failures = 0
        for (instance, result) in zip(chosen, results) {
            switch result {
            case .success(let state):
                print("\(instance.slug): branding \(state.version) in force — \(state.name), logo \(state.logo.map { "\($0.contentType) \($0.bytes) B" } ?? "built-in"), favicon \(state.favicon.map { "\($0.contentType) \($0.bytes) B" } ?? "from logo")")
            case .failure(let error):
                failures += 1
                Stderr.write("\(instance.slug): \(error)")
            }
        }
        throw fleetExitCode(failures: failures, total: chosen.count)
    }
}
