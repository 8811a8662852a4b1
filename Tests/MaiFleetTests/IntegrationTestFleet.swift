import Foundation
import Testing
@testable import MaiFleet

extension Tag {
    /// Needs root and real processes: the test fleet (network namespaces, sshd, mai-agent).
    @Tag static var integration: Self
}

/// The running test fleet, as `scripts/testfleet` describes it in `hosts.json`.
struct IntegrationTestFleet: Sendable, Decodable {
    struct Host: Sendable, Decodable {
        let serverId: String
        let name: String
        let index: Int
        let ip: String
        let sshPort: Int
        let user: String
        let hostKey: String
        let tokenFile: String
        let adminPort: Int
        let publicPort: Int

        var target: SSHTarget { SSHTarget(serverID: serverId, host: ip, port: sshPort, user: user) }
        var pinnedKey: HostKey { HostKey(openSSHLine: hostKey)! }
    }

    let dir: String
    let clientKey: String
    let simUrl: String
    let hosts: [Host]

    /// The fleet the suite runs against (set by `IntegrationTestFleet.Scope`).
    @TaskLocal static var current: IntegrationTestFleet?

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Whether integration tests run: as root, with a fleet given by the Makefile
    /// (`TESTFLEET_HOSTS_JSON`) or with `MAI_INTEGRATION=1` (the suite brings one up itself).
    static var enabled: Bool {
        let environment = ProcessInfo.processInfo.environment
        return getuid() == 0 && (environment["TESTFLEET_HOSTS_JSON"] != nil || environment["MAI_INTEGRATION"] == "1")
    }

    static func load(_ path: String) throws -> IntegrationTestFleet {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(IntegrationTestFleet.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The fleet as it is now (hosts.json is rewritten when a host is re-keyed).
    func reloaded() throws -> IntegrationTestFleet { try Self.load(dir + "/hosts.json") }

    func host(_ index: Int) throws -> Host {
        try #require(try reloaded().hosts.first { $0.index == index })
    }

    func token(_ host: Host) throws -> String {
        try String(contentsOfFile: host.tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs `scripts/testfleet` against this fleet's directory.
    func script(_ arguments: String...) throws {
        try Self.runScript(arguments, directory: dir)
    }

    @discardableResult
    static func runScript(_ arguments: [String], directory: String) throws -> String {
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent("scripts/testfleet")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TESTFLEET_DIR"] = directory
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ScriptFailed(arguments: arguments, status: process.terminationStatus, output: text)
        }
        return text
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        let output: String
        var description: String { "scripts/testfleet \(arguments.joined(separator: " ")) exited \(status):\n\(output)" }
    }

    /// Brings a 2-host fleet up around the whole suite and always takes it down — unless the
    /// Makefile already did (`TESTFLEET_HOSTS_JSON`), in which case that fleet is used as is.
    struct Scope: SuiteTrait, TestScoping {
        var isRecursive: Bool { false }

        func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
            if let path = ProcessInfo.processInfo.environment["TESTFLEET_HOSTS_JSON"] {
                try await IntegrationTestFleet.$current.withValue(try IntegrationTestFleet.load(path)) { try await function() }
                return
            }
            let directory = "/tmp/maitestfleet-swift-\(getpid())"
            defer { _ = try? IntegrationTestFleet.runScript(["down"], directory: directory) }
            try IntegrationTestFleet.runScript(["up", "2", "--sim-port", "19091"], directory: directory)
            let fleet = try IntegrationTestFleet.load(directory + "/hosts.json")
            try await IntegrationTestFleet.$current.withValue(fleet) { try await function() }
        }
    }
}

extension Trait where Self == IntegrationTestFleet.Scope {
    /// Runs the suite against a live test fleet.
    static var testFleet: Self { Self() }
}
