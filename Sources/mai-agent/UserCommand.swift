import ArgumentParser
import Foundation
import MaiCore
import Logging
import MaiAgent

/// `mai-agent user …`: account rescue for the operator (the server's shell is the authority).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create an account or reset a password from the server's shell.",
        subcommands: [Create.self, ResetPassword.self]
    )

    struct PasswordInput: ParsableArguments {
        @Flag(name: .long, help: "Read the password from standard input (one line) instead of asking.")
        var passwordStdin = false

        func read() throws -> String {
            let password: String?
            if passwordStdin || isatty(STDIN_FILENO) == 0 {
                password = readLine(strippingNewline: true)
            } else {
                password = String(validatingCString: getpass("Password: "))
            }
            guard let password, !password.isEmpty else {
                throw ValidationError("No password given: type it at the prompt or pipe it with --password-stdin.")
            }
            return password
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account (use --admin for an administrator).")

        @Option(help: "E-mail address used to sign in.") var email: String
        @Option(help: "Display name.") var name: String
        @Flag(help: "Make the account an administrator.") var admin = false
        @OptionGroup var password: PasswordInput

        func run() async throws {
            let secret = try password.read()
            let services = await Startup.services(Startup.config(), logger: Logger(label: "mai.agent.cli"))
            do {
                let user = try await services.createAccount(email: email, name: name, password: secret, role: admin ? .admin : .user)
                print("Created \(user.role.rawValue) account \(user.email) (id \(user.id)).")
            } catch {
                StandardError.write("mai-agent: \(AgentServices.describe(error))\n")
                throw ExitCode(1)
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Set a new password for an account, ending all its sessions."
        )

        @Option(help: "E-mail address of the account.") var email: String
        @OptionGroup var password: PasswordInput

        func run() async throws {
            let secret = try password.read()
            let services = await Startup.services(Startup.config(), logger: Logger(label: "mai.agent.cli"))
            do {
                let user = try await services.resetPassword(email: email, password: secret)
                print("Password of \(user.email) changed; every session of that account was signed out.")
            } catch {
                StandardError.write("mai-agent: \(AgentServices.describe(error))\n")
                throw ExitCode(1)
            }
        }
    }
}
