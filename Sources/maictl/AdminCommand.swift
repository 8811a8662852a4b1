import ArgumentParser
import Foundation
import MaiFleet

/// `maictl admin create <client>`: the client's first administrator, with sign-up closed.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Accounts on a client's agent that only the operator can make.",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a client's administrator account with a generated password.",
            discussion: """
                Deployed agents have public sign-up closed (unless the client file says open_signup = true), \
                so this is how a new client gets its first administrator, who then adds the employees. \
                The password is generated here, sent on the command's standard input over SSH, and shown \
                once — or written to --password-file (mode 0600, never overwritten).

                Example: maictl admin create acme
                Example: maictl admin create acme --email it@acme.example --name "Ada Admin" --password-file acme-admin.txt
                """)

        @OptionGroup var host: SingleHost
        @Option(help: "The administrator's e-mail address (default: admin_email of the client file).") var email: String?
        @Option(help: "The administrator's display name.") var name = "Administrator"
        @Option(help: ArgumentHelp("Write the password to this new file (0600) instead of printing it.", valueName: "file"))
        var passwordFile: String?

        func run() async throws {
            let (instance, connector) = try host.instance()
            let admin = FirstAdmin(email: email ?? instance.adminEmail, name: name, engine: EngineCommands(engine: host.engine))
            let password = FirstAdmin.generatePassword()
            if let passwordFile {
                // Made (exclusively, 0600) before the account, so a password is never lost.
                let descriptor = open(passwordFile, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard descriptor >= 0 else {
                    Stderr.write("maictl: cannot create \(passwordFile): \(String(cString: strerror(errno))) — name a new file")
                    throw ExitCode(64)
                }
                let bytes = Array((password + "\n").utf8)
                let written = write(descriptor, bytes, bytes.count)
                close(descriptor)
                guard written == bytes.count else {
                    Stderr.write("maictl: could not write \(passwordFile)")
                    throw ExitCode(1)
                }
            }
            do {
                let said = try await connector.withSession(instance) { session in
                    try await admin.create(slug: instance.slug, password: password) { command, stdin in
                        try await session.exec(command, stdin: stdin, timeout: .seconds(60))
                    }
                }
                if !said.isEmpty { Stderr.write("\(instance.slug): \(said)") }
            } catch {
                if let passwordFile { unlink(passwordFile) }
                Stderr.write("maictl: \(instance.slug): \(error)")
                throw ExitCode(1)
            }
            if let passwordFile {
                print("\(instance.slug): administrator \(admin.email) created; password in \(passwordFile)")
            } else {
                print("\(instance.slug): administrator \(admin.email) created; password (shown once): \(password)")
            }
        }
    }
}
