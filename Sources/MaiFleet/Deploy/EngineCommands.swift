/// Container-engine commands (podman or docker, same CLI) run on hosts by deploy, rollback, logs and
/// exec. Pure argv builders, compared by equality in tests.
public struct EngineCommands: Sendable, Hashable {
    /// `podman` or `docker`.
    public var engine: String
    public var layout: HostLayout

    public init(engine: String = "podman", layout: HostLayout = HostLayout()) {
        self.engine = engine
        self.layout = layout
    }

    /// The image reference for `version`: `localhost/<image>` when `image` names no registry
    /// (what `podman load` and `podman build -t mai-agent:…` produce), else `image` as given.
    public static func imageReference(_ image: String, version: String) -> String {
        let first = image.split(separator: "/").first.map(String.init) ?? image
        let hasRegistry = image.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        return "\(hasRegistry ? image : "localhost/\(image)"):\(version)"
    }

    /// Labels carried by every agent container.
    public static let versionLabel = "mai.version"
    public static let slotLabel = "mai.slot"

    /// Starts `image` as `name` in `slot`: host network (the ports are on the loopback, behind
    /// Caddy), the data directory as /data, secrets from the env file, restarted by the engine
    /// when it exits (a staged restore relies on that).
    public func run(name: String, image: String, version: String, slot: Slot, instance: String) -> RemoteCommand {
        var argv = [engine, "run", "--detach", "--name", name,
                    "--restart=always", "--network=host",
                    "--label", "\(Self.versionLabel)=\(version)", "--label", "\(Self.slotLabel)=\(slot.rawValue)",
                    "--volume", "\(layout.dataDirectory):/data",
                    "--env-file", layout.envFile,
                    "--env", "HOST=127.0.0.1", "--env", "PORT=\(slot.publicPort)",
                    "--env", "ADMIN_BIND=127.0.0.1:\(slot.adminPort)", "--env", "MAI_INSTANCE=\(instance)",
                    "--stop-timeout", "30"]
        if engine == "podman" {
            // Health is checked by deploy (`healthcheck run`); no systemd timer on hosts without one.
            argv += ["--health-interval=disable"]
        }
        return RemoteCommand(argv + [image, "serve"])
    }

    /// `<slot> <version> <running>` of container `name`; exit status non-zero when it does not exist.
    public func describe(name: String) -> RemoteCommand {
        RemoteCommand([engine, "container", "inspect", "--format",
                       "{{index .Config.Labels \"\(Self.slotLabel)\"}} {{index .Config.Labels \"\(Self.versionLabel)\"}} {{.State.Running}}", name])
    }

    /// Runs the image's HEALTHCHECK once in container `name` (exit 0 when healthy).
    public func healthcheck(name: String) -> RemoteCommand {
        if engine == "podman" { return RemoteCommand([engine, "healthcheck", "run", name]) }
        return RemoteCommand([engine, "exec", name, "/usr/local/bin/mai-agent", "healthcheck"])
    }

    public func rename(_ from: String, to: String) -> RemoteCommand {
        RemoteCommand([engine, "rename", from, to])
    }

    /// Stops (SIGTERM, 30 s to drain, then SIGKILL) and removes `name`; succeeds when it is absent.
    public func stopAndRemove(name: String, grace: Int = 30) -> RemoteCommand {
        let script = #"e="$1"; n="$2"; "$e" container exists "$n" 2>/dev/null || "$e" inspect "$n" >/dev/null 2>&1 || exit 0; "$e" stop -t "$3" "$n" >/dev/null && "$e" rm -f "$n" >/dev/null"#
        return RemoteCommand(["sh", "-c", script, "maictl-stop", engine, name, String(grace)])
    }

    /// The database backup inside the serving container, to /data/backups/pre-deploy-<version>-<ts>.db.
    public func backup(container: String, file: String) -> RemoteCommand {
        RemoteCommand([engine, "exec", container, "/usr/local/bin/mai-agent", "backup", "--output", "\(layout.containerBackupDirectory)/\(file)"])
    }

    /// Pre-deploy backups kept on a host (older ones are deleted after a successful deploy; the
    /// operator's own backups, `maictl backup`, live on this machine and are not touched).
    public static let preDeployBackupsKept = 5

    /// Deletes all but the newest `keep` pre-deploy backups in the host's backup directory.
    public func prunePreDeployBackups(keep: Int = EngineCommands.preDeployBackupsKept) -> RemoteCommand {
        let script = #"cd "$1" 2>/dev/null || exit 0; ls -1t -- pre-deploy-*.db 2>/dev/null | tail -n +"$2" | while IFS= read -r f; do rm -f -- "$f" && echo "$f"; done"#
        return RemoteCommand(["sh", "-c", script, "maictl-prune-backups", layout.backupDirectory, String(keep + 1)])
    }

    /// The file name of a pre-deploy backup.
    public static func backupFileName(version: String, timestamp: String) -> String {
        "pre-deploy-\(version)-\(timestamp).db"
    }

    public func imageExists(_ image: String) -> RemoteCommand {
        RemoteCommand([engine, "image", "inspect", "--format", "{{.Id}}", image])
    }

    public func pull(_ image: String) -> RemoteCommand {
        RemoteCommand([engine, "pull", image])
    }

    /// Loads an image archive (`podman save` output) from stdin.
    public func load() -> RemoteCommand {
        RemoteCommand([engine, "load"])
    }

    /// Every tag of `repository` with its creation time, newest first: `<created unix> <repo>:<tag>`.
    public func listImages(repository: String) -> RemoteCommand {
        RemoteCommand([engine, "images", "--filter", "reference=\(repository)", "--format", "{{.CreatedAt}}\t{{.Repository}}:{{.Tag}}"])
    }

    public func removeImage(_ image: String) -> RemoteCommand {
        RemoteCommand([engine, "rmi", image])
    }

    /// The serving container's log.
    public func logs(container: String = HostLayout.servingContainer, follow: Bool, lines: Int?, since: String?) -> RemoteCommand {
        var argv = [engine, "logs"]
        if follow { argv.append("--follow") }
        if let lines { argv += ["--tail", String(lines)] }
        if let since { argv += ["--since", since] }
        return RemoteCommand(argv + [container])
    }

    /// Runs `command` in the serving container.
    public func exec(container: String = HostLayout.servingContainer, _ command: [String]) -> RemoteCommand {
        RemoteCommand([engine, "exec", container] + command)
    }

    /// The host directories, created with the layout's owners and modes.
    public func prepareHost() -> RemoteCommand {
        let script = #"set -e; umask 077; mkdir -p "$1" "$2" "$3"; chmod 0700 "$1"; chown "$4:$4" "$2" "$3"; chmod 0700 "$2" "$3""#
        return RemoteCommand(["sh", "-c", script, "maictl-prepare", layout.root, layout.dataDirectory, layout.backupDirectory,
                              String(layout.agentUID)])
    }

    /// Appends stdin (one JSON line) to the host's audit log (0600).
    public func appendAudit() -> RemoteCommand {
        RemoteCommand(["sh", "-c", #"umask 077 && cat >> "$1""#, "maictl-audit", layout.auditLog])
    }

    /// Reloads Caddy with its main config. Only when the snippet itself changes (a host's first
    /// deploy with the two-slot snippet): Caddy 2.6.2 cancels the proxied requests in flight on a
    /// reload, so switching versions never reloads (`ProxyConfig`).
    public func reloadProxy() -> RemoteCommand {
        RemoteCommand(["caddy", "reload", "--config", layout.caddyConfig, "--adapter", "caddyfile"])
    }

    /// Caddy's upstreams with their requests in flight and recent failures (JSON, admin endpoint
    /// on the host's loopback).
    public func proxyUpstreams() -> RemoteCommand {
        RemoteCommand(["curl", "-fsS", "--max-time", "5", ProxyConfig.upstreamsURL])
    }
}
