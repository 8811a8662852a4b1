import Foundation
import MaiCore

/// The commented starter fleet `maictl init` writes: `fleet.toml` and one example client.
/// Both files pass validation as written; each key is explained where it stands.
public enum StarterFleet {
    /// `fleet.toml` of a new fleet.
    public static func fleetTOML(agentVersion: String = MaiVersion.current) -> String {
        """
        # fleet.toml — defaults for every client instance. Validate with `maictl fleet validate`.
        #
        # Secrets never go in this directory: HCLOUD_TOKEN and OPENROUTER_MANAGEMENT_KEY come from
        # the environment, per-instance tokens and pinned host keys from maictl's state directory
        # ($MAICTL_STATE_DIR, default ~/.local/state/maictl).

        [hetzner]
        # Where new servers are created: fsn1, nbg1, hel1 (EU), ash, hil (US), sin. Default "nbg1".
        location = "nbg1"
        # Server type (2–4 vCPU is plenty for 5–20 users). Default "cx23".
        server_type = "cx23"
        # Operating-system image for new servers. Default "debian-12".
        image = "debian-12"
        # Names of SSH keys already uploaded to the Hetzner project (`hcloud ssh-key list`). Required.
        ssh_keys = ["operator"]
        # Networks allowed to reach SSH (port 22) through the firewall, in CIDR form.
        # Default everywhere; narrow it to where maictl runs from.
        firewall_ssh_sources = ["0.0.0.0/0", "::/0"]

        [agent]
        # Container image name, without tag. Default "mai-agent".
        image = "mai-agent"
        # Image tag to deploy. Required. A client file may pin its own with agent_version.
        version = "\(agentVersion)"
        # The agent's web port behind Caddy. Default 8080.
        port = 8080
        # Price factor over OpenRouter cost, as a quoted decimal (at most 6 decimals). Default "1.3".
        markup_rate = "1.3"
        # How often usage is pulled from every instance: "30s", "15m", "1h" (1 minute to 24 hours).
        usage_sync_interval = "15m"

        [deploy]
        # Instances worked on at the same time (1–64). Default 8.
        parallel = 8
        # Instances per rollout step after the canary. Default: the value of parallel.
        batch = 4
        # Stop a rollout after this many instances failed. Default 1.
        max_failures = 1

        [backup]
        # Backups kept per client by `maictl backup` (newest first, 1–1000). Default 7.
        keep = 7

        [operator]
        # Your address: certificate-authority notices and fleet reports go here. Required.
        email = "ops@example.com"

        [health]
        # Thresholds of `maictl health` (Nagios exit codes for cron). All optional; these are the defaults.
        # Free space of / (percent) below which an instance is WARNING, and CRITICAL.
        disk_free_warning_percent = 20
        disk_free_critical_percent = 10
        # MemAvailable of MemTotal (percent) below which an instance is WARNING, and CRITICAL.
        memory_available_warning_percent = 15
        memory_available_critical_percent = 5
        # Age of the last usage confirmation run that is WARNING, and CRITICAL ("30s", "15m", "1h").
        confirmation_age_warning = "30m"
        confirmation_age_critical = "2h"
        # Days of TLS certificate validity left that are WARNING, and CRITICAL.
        tls_days_warning = 14
        tls_days_critical = 7
        # Age of the newest backup in maictl's backup store that is WARNING, and CRITICAL.
        backup_age_warning = "26h"
        backup_age_critical = "50h"
        # The OpenRouter key's remaining limit, in % of its limit (checked when
        # OPENROUTER_MANAGEMENT_KEY is set).
        key_remaining_warning_percent = 20
        key_remaining_critical_percent = 5

        """
    }

    /// `clients/<slug>.toml` of a new fleet's example client.
    public static func clientTOML(slug: String = "example") -> String {
        """
        # clients/\(slug).toml — one client. The file name is the slug: 3–32 lower-case letters,
        # digits and dashes; it names the server and the client's state. Never rename it.

        # Display name. Required.
        name = "Example Ltd"
        # Where the client's people reach their workspace; unique in the fleet. Required.
        domain = "chat.\(slug).example"
        # The client's first administrator. Required.
        admin_email = "admin@\(slug).example"

        # Spending limit of the client's OpenRouter key in USD, quoted (at most 2 decimals). Optional.
        openrouter_key_limit = "50"
        # When that limit resets: "daily", "weekly" or "monthly". Optional.
        openrouter_limit_reset = "monthly"

        # Branding (logo, colours), relative to the fleet directory. Optional.
        # brand_dir = "brands/\(slug)"

        # Overrides of fleet.toml for this client. Optional.
        # server_type = "cx33"
        # location = "fsn1"
        # agent_version = "0.1.0"

        # An existing machine (IP address or hostname) instead of a new Hetzner server —
        # for test fleets such as `scripts/testfleet up`. Optional.
        # host = "198.51.100.11"

        # Let anyone who reaches the domain sign up (as a pending account the admin approves).
        # Default false: the first admin is made with `maictl admin create`, and adds employees.
        # open_signup = false

        # Private addresses a client admin may point a connection at (an Ollama on the client's own
        # network, say): host names, addresses and networks, or "1" for all. Default: none.
        # allow_private_provider_urls = "ollama.internal,10.0.0.5,192.168.1.0/24"

        # Keep the client in the fleet but skip it in every command. Default false.
        disabled = false

        """
    }

    /// The files `maictl init` writes, relative to the fleet directory.
    public static var files: [(path: String, contents: String)] {
        [("fleet.toml", fleetTOML()), ("clients/example.toml", clientTOML())]
    }

    /// What went wrong writing a starter fleet.
    public enum WriteError: Error, Sendable, CustomStringConvertible {
        /// Files that exist and `force` was not given.
        case wouldOverwrite([String])
        /// A file could not be written.
        case cannotWrite(String, String)

        /// What to do.
        public var description: String {
            switch self {
            case .wouldOverwrite(let paths):
                "\(paths.joined(separator: ", ")) already exist\(paths.count == 1 ? "s" : "") — pass --force to overwrite, or choose another directory with --fleet"
            case .cannotWrite(let path, let reason):
                "cannot write \(path): \(reason)"
            }
        }
    }

    /// Writes the starter files into `directory` (created as needed); returns the paths written.
    /// Refuses to overwrite any existing file unless `force`.
    @discardableResult
    public static func write(to directory: URL, force: Bool) throws(WriteError) -> [URL] {
        let fileManager = FileManager.default
        let targets = files.map { (directory.appendingPathComponent($0.path), $0.contents) }
        let existing = targets.map(\.0).filter { fileManager.fileExists(atPath: $0.path) }
        if !existing.isEmpty, !force {
            throw .wouldOverwrite(existing.map(\.path))
        }
        for (url, contents) in targets {
            do {
                try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(contents.utf8).write(to: url, options: .atomic)
            } catch {
                throw .cannotWrite(url.path, "\(error.localizedDescription)")
            }
        }
        return targets.map(\.0)
    }
}
