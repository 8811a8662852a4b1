import ArgumentParser
import MaiCore

/// `maictl`: the operator's control plane for the fleet of mAI instances.
///
/// The fleet commands (status, health, usage, deploy, keys, brand, backup…) arrive with the
/// control-plane issues; this root already answers `--version` and `--help`.
@main
struct Maictl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maictl",
        abstract: "Run a fleet of private mAI instances: one server per client.",
        discussion: """
            Fleet definition lives in fleet/ (TOML); secrets come from the environment
            (HCLOUD_TOKEN, OPENROUTER_MANAGEMENT_KEY) and a private state directory.
            Exit codes: 0 ok, 1 failure, 2 partial failure, 3 lock held, 64 usage error.
            """,
        version: MaiVersion.current,
        subcommands: [Version.self, InitCommand.self, FleetCommand.self, StatusCommand.self, HealthCommand.self, UsageCommand.self,
                      HostsCommand.self,
                      PlanCommand.self, ProvisionCommand.self, BootstrapCommand.self, DeprovisionCommand.self,
                      BrandCommand.self, BackupCommand.self, RestoreCommand.self,
                      KeysCommand.self, AdminCommand.self,
                      DeployCommand.self, RollbackCommand.self, LockCommand.self, AuditCommand.self, LogsCommand.self, ExecCommand.self, SSHCommand.self]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print maictl's version.", discussion: "Example: maictl version")

    func run() {
        print(MaiVersion.current)
    }
}
