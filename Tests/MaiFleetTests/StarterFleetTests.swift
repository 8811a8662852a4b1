import Foundation
import Testing
@testable import MaiFleet

@Suite struct StarterFleetTests {
    private func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("maiinit-\(UUID().uuidString)/fleet")
    }

    @Test func initThenValidatePasses() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let written = try StarterFleet.write(to: directory, force: false)
        #expect(written.map(\.lastPathComponent) == ["fleet.toml", "example.toml"])
        let fleet = try FleetLoader(directory: directory).load()
        #expect(fleet.clients.map(\.slug) == ["example"])
        #expect(fleet.defaults.hetzner.sshKeys == ["operator"])
        #expect(fleet.defaults.deploy.parallel == 8)
        #expect(fleet.defaults.agent.markupRate == .standard)
        #expect(fleet.instances.first?.openRouterLimitReset == .monthly)
    }

    @Test func everyKeyIsDocumentedInTheStarterFiles() {
        let fleetText = StarterFleet.fleetTOML()
        for (_, keys) in FleetDefaults.schema {
            for key in keys {
                #expect(fleetText.contains("\n\(key) = "), "fleet.toml lacks \(key)")
            }
        }
        let clientText = StarterFleet.clientTOML()
        for key in ClientSpec.keys {
            #expect(clientText.contains("\(key) = "), "client file lacks \(key)")
        }
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try StarterFleet.write(to: directory, force: false)
        let fleetFile = directory.appendingPathComponent("fleet.toml")
        try Data("# mine\n".utf8).write(to: fleetFile)
        #expect(throws: StarterFleet.WriteError.self) { try StarterFleet.write(to: directory, force: false) }
        #expect(try String(contentsOf: fleetFile, encoding: .utf8) == "# mine\n")
        do {
            try StarterFleet.write(to: directory, force: false)
        } catch {
            #expect(error.description.hasSuffix("already exist — pass --force to overwrite, or choose another directory with --fleet"))
        }
        try StarterFleet.write(to: directory, force: true)
        #expect(try String(contentsOf: fleetFile, encoding: .utf8) == StarterFleet.fleetTOML())
    }
}
