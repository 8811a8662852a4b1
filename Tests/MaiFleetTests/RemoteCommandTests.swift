import Foundation
import Testing
@testable import MaiFleet

@Suite("RemoteCommand: argv builders and POSIX quoting")
struct RemoteCommandTests {
    @Test func buildersReturnArgv() {
        #expect(RemoteCommand.dockerPs().argv == ["docker", "ps", "--no-trunc", "--format", "{{json .}}"])
        #expect(RemoteCommand.dockerPs(all: true).argv == ["docker", "ps", "--all", "--no-trunc", "--format", "{{json .}}"])
        #expect(RemoteCommand.diskUsage(path: "/srv/mai data").argv == ["df", "-P", "-k", "--", "/srv/mai data"])
        #expect(RemoteCommand.cat(path: "-rf").argv == ["cat", "--", "-rf"])
        #expect(RemoteCommand.makeDirectory(path: "/srv/mai", mode: 0o700).argv == ["mkdir", "-p", "-m", "700", "--", "/srv/mai"])
        #expect(RemoteCommand.dockerLogs(container: "mai-agent", lines: 200).argv == ["docker", "logs", "--tail", "200", "mai-agent"])
        #expect(RemoteCommand.sleep(seconds: 30) == RemoteCommand("sleep", "30"))
        #expect(RemoteCommand.sleep(seconds: 30).limited(toSeconds: 3).argv == ["timeout", "--kill-after=5s", "3s", "sleep", "30"])
        let write = RemoteCommand.writeFile(path: "/etc/mai/env", mode: 0o600)
        #expect(Array(write.argv.prefix(2)) == ["sh", "-c"])
        #expect(Array(write.argv.suffix(3)) == ["maictl-write", "/etc/mai/env", "600"])
    }

    @Test func quotingLeavesPlainWordsBare() {
        #expect(ShellQuoting.quote("docker") == "docker")
        #expect(ShellQuoting.quote("/srv/mai-data/webui.db") == "/srv/mai-data/webui.db")
        #expect(ShellQuoting.quote("--format=a,b:c@d%e+f") == "--format=a,b:c@d%e+f")
    }

    @Test func quotingWrapsEverythingElse() {
        #expect(ShellQuoting.quote("") == "''")
        #expect(ShellQuoting.quote("a b") == "'a b'")
        #expect(ShellQuoting.quote("it's") == #"'it'\''s'"#)
        #expect(ShellQuoting.quote("$(reboot)") == "'$(reboot)'")
        #expect(ShellQuoting.quote("{{json .}}") == "'{{json .}}'")
        #expect(RemoteCommand.diskUsage(path: "/a b;rm -rf /").commandLine == "df -P -k -- '/a b;rm -rf /'")
    }

    /// The real test of quoting: a POSIX shell splits the command line back into the same argv.
    @Test(arguments: [
        ["plain"], [""], ["a b", "c\td"], ["it's", "\"double\"", "back\\slash"], ["$HOME", "`id`", "$(id)", "*", "~", "#x"],
        ["line\nbreak", "semi;colon", "pipe|amp&", "<in>out", "'", "''", "'\\''"], ["ünïcødé ✓", "{{json .}}", "-n", "--"],
    ])
    func shellSplitsCommandLineBackIntoArgv(arguments: [String]) throws {
        let command = RemoteCommand(["printf", "%s\\0"] + arguments)
        let output = try runShell(command.commandLine)
        let expected = arguments.map { $0 + "\0" }.joined()
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    @Test func writeFileScriptWritesAtomicallyWithMode() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remote-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("odd 'name'$x").path
        let payload = Data("secret=1\nline two\n".utf8)
        _ = try runShell(RemoteCommand.writeFile(path: path, mode: 0o640).commandLine, stdin: payload)
        #expect(FileManager.default.contents(atPath: path) == payload)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).count == 1)
    }

    private func runShell(_ line: String, stdin: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", line]
        let out = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return data
    }
}

@Suite("RemoteBatch: several probes in one exec")
struct RemoteBatchTests {
    @Test func scriptKeepsEveryArgumentQuotedAndReportsEachExitStatus() {
        let batch = RemoteBatch([.processIDs(name: "mai-agent"), .diskUsage(path: "/a b;rm -rf /")], marker: "@@mai-test")
        #expect(batch.command.argv == ["sh", "-c",
            "pgrep -x mai-agent </dev/null 2>&1; printf '\\n@@mai-test 0 %d\\n' $?; df -P -k -- '/a b;rm -rf /' </dev/null 2>&1; printf '\\n@@mai-test 1 %d\\n' $?",
            "sh"])
    }

    @Test func parseSplitsOutputsAndNamesMissingSteps() {
        let batch = RemoteBatch([.processIDs(name: "mai-agent"), .memoryInfo(), .hostname()], marker: "@@mai-test")
        let outputs = batch.parse("12\n34\n\n@@mai-test 0 0\nMemTotal: 1 kB\n\n@@mai-test 1 0\n")
        #expect(outputs == [.init(exitStatus: 0, text: "12\n34\n"), .init(exitStatus: 0, text: "MemTotal: 1 kB\n"), nil])
        #expect(batch.parse("\n@@mai-test 0 1\n")[0] == .init(exitStatus: 1, text: ""))
        // A line that only looks like a marker from another batch is output, not a boundary.
        #expect(batch.parse("@@mai-other 0 0\n\n@@mai-test 0 0\n")[0]?.text == "@@mai-other 0 0\n")
    }

    @Test func runsForRealInAShell() throws {
        let batch = RemoteBatch([RemoteCommand(["echo", "it's; fine"]), RemoteCommand(["sh", "-c", "echo oops >&2; exit 3"]), .hostname()])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", batch.command.commandLine]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let outputs = batch.parse(String(decoding: data, as: UTF8.self))
        #expect(outputs[0] == .init(exitStatus: 0, text: "it's; fine\n"))
        #expect(outputs[1] == .init(exitStatus: 3, text: "oops\n"))
        #expect(outputs[2]?.succeeded == true && outputs[2]?.text.isEmpty == false)
    }
}
