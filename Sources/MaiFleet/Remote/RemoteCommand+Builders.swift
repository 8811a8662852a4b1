/// The commands maictl runs on hosts. Each is a pure function of its inputs; tests compare argv.
extension RemoteCommand {
    /// Containers, one JSON object per line (`docker ps --format '{{json .}}'`).
    public static func dockerPs(all: Bool = false) -> RemoteCommand {
        RemoteCommand(["docker", "ps"] + (all ? ["--all"] : []) + ["--no-trunc", "--format", "{{json .}}"])
    }

    /// Filesystem usage of the filesystem holding `path`, in 1 KiB blocks, POSIX output format.
    public static func diskUsage(path: String) -> RemoteCommand {
        RemoteCommand(["df", "-P", "-k", "--", path])
    }

    /// Prints a file.
    public static func cat(path: String) -> RemoteCommand {
        RemoteCommand(["cat", "--", path])
    }

    /// Writes stdin to `path` with `mode` (octal, e.g. `0600`): written to a temporary file in the
    /// same directory, chmod-ed, then renamed, so readers never see a half-written file or a
    /// moment with looser permissions. Path and mode are positional parameters, not shell text.
    public static func writeFile(path: String, mode: Int) -> RemoteCommand {
        let script = #"umask 077 && t="$1.maictl.$$" && cat > "$t" && chmod "$2" "$t" && mv -f "$t" "$1" || { rm -f "$t"; exit 1; }"#
        return RemoteCommand(["sh", "-c", script, "maictl-write", path, String(mode, radix: 8)])
    }

    /// Creates a directory (and parents) with `mode`.
    public static func makeDirectory(path: String, mode: Int) -> RemoteCommand {
        RemoteCommand(["mkdir", "-p", "-m", String(mode, radix: 8), "--", path])
    }

    /// The last `lines` log lines of a container.
    public static func dockerLogs(container: String, lines: Int) -> RemoteCommand {
        RemoteCommand(["docker", "logs", "--tail", String(lines), container])
    }

    /// Waits `seconds` (used by timeout tests and as a harmless probe).
    public static func sleep(seconds: Int) -> RemoteCommand {
        RemoteCommand(["sleep", String(seconds)])
    }

    /// This command under coreutils `timeout`: the host itself sends SIGTERM after `seconds`, and
    /// SIGKILL `killAfter` seconds later. `SSHSession.exec` wraps every command this way, because
    /// OpenSSH refuses SSH "signal" requests for root sessions and closing a channel does not stop
    /// a command that has no terminal — without it a timed-out command would keep running.
    public func limited(toSeconds seconds: Int, killAfter: Int = 5) -> RemoteCommand {
        RemoteCommand(["timeout", "--kill-after=\(killAfter)s", "\(seconds)s"] + argv)
    }

    /// The host's name.
    public static func hostname() -> RemoteCommand {
        RemoteCommand(["hostname"])
    }

    /// The names of running containers called exactly `name` under `engine` (`docker` or `podman`),
    /// one a line; empty output when none runs.
    public static func runningContainer(engine: String, name: String) -> RemoteCommand {
        RemoteCommand([engine, "ps", "--filter", "name=^\(name)$", "--format", "{{.Names}}"])
    }

    /// The pids of processes named exactly `name` (exit status 1 when there is none).
    public static func processIDs(name: String) -> RemoteCommand {
        RemoteCommand(["pgrep", "-x", name])
    }

    /// The host's memory figures (`MemTotal`, `MemAvailable`, …).
    public static func memoryInfo() -> RemoteCommand {
        .cat(path: "/proc/meminfo")
    }
}
