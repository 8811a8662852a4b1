import ArgumentParser
import Foundation
import MaiCore
import GRDB
import MaiAgent

/// `mai-agent backup --output PATH`: a consistent, integrity-checked copy of the database while the
/// agent keeps serving (maictl runs it in the container before every deploy).
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent copy of the database (VACUUM INTO, integrity-checked) to a new file.",
        discussion: "Prints one line: the path, its size in bytes and its SHA-256. Never overwrites a file."
    )

    @Option(help: ArgumentHelp("The backup file to create (must not exist).", valueName: "path"))
    var output: String

    func validate() throws {
        guard !output.isEmpty else { throw ValidationError("--output needs a file path.") }
    }

    func run() throws {
        let config = Startup.config()
        guard FileManager.default.fileExists(atPath: config.databasePath) else {
            fail("no database at \(config.databasePath): check DATA_DIR (nothing to back up yet?)")
        }
        guard !FileManager.default.fileExists(atPath: output) else {
            fail("\(output) already exists; choose another --output (backups are never overwritten)")
        }
        let directory = URL(fileURLWithPath: output).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            fail("cannot create \(directory): \(error.localizedDescription)")
        }
        do {
            // The serving agent holds the WAL; a pool opened here reads a consistent snapshot next to it.
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let pool = try DatabasePool(path: config.databasePath, configuration: configuration)
            let result = try DatabaseBackup.snapshot(of: pool, to: output)
            print("backup \(result.path) \(result.bytes) bytes sha256:\(result.sha256Hex)")
        } catch {
            fail("backup failed: \(error)")
        }
    }

    private func fail(_ message: String) -> Never {
        StandardError.write("mai-agent: \(message)\n")
        Foundation.exit(1)
    }
}
