import Foundation
import MaiCore
import Testing
@testable import MaiFleet

/// Which version each client gets from `deploy` — a client file's `agent_version` pin included.
@Suite struct RolloutTargetsTests {
    static func instances() throws -> [Instance] {
        let fleet = try TemporaryFleet(clients: [
            "acme": "name = \"Acme\"\ndomain = \"chat.acme.example\"\nadmin_email = \"a@acme.example\"\n",
            "globex": "name = \"Globex\"\ndomain = \"ai.globex.example\"\nadmin_email = \"a@globex.example\"\nagent_version = \"0.1.0\"\n",
            "initech": "name = \"Initech\"\ndomain = \"ai.initech.example\"\nadmin_email = \"a@initech.example\"\nagent_version = \"0.3.0-rc.1\"\n",
        ])
        defer { fleet.remove() }
        return try fleet.loader.load().instances
    }

    @Test func aPinnedClientKeepsItsVersionInADeployOfAll() throws {
        let targets = RolloutTargets.deploy(instances: try Self.instances(), requested: "0.2.0", named: [])
        #expect(targets.versions == ["acme": "0.2.0", "globex": "0.1.0", "initech": "0.3.0-rc.1"], "\(targets.versions)")
        #expect(targets.notes == ["globex: stays on 0.1.0, pinned by agent_version in clients/globex.toml",
                                  "initech: stays on 0.3.0-rc.1, pinned by agent_version in clients/initech.toml"], "\(targets.notes)")
    }

    @Test func aNamedPinnedClientGetsTheVersionWithAWarning() throws {
        let targets = RolloutTargets.deploy(instances: try Self.instances(), requested: "0.2.0", named: ["globex"])
        #expect(targets.versions["globex"] == "0.2.0")
        #expect(targets.versions["initech"] == "0.3.0-rc.1")
        #expect(targets.notes.first?.hasPrefix("globex: deploying 0.2.0, named with --only, although clients/globex.toml pins agent_version = \"0.1.0\"") == true,
                "\(targets.notes)")
    }

    @Test func withoutAVersionEachClientGetsItsOwn() throws {
        let instances = try Self.instances()
        let targets = RolloutTargets.deploy(instances: instances, requested: nil, named: [])
        let fleetDefault = try #require(instances.first { $0.slug == "acme" }?.agentVersion)
        #expect(targets.versions == ["acme": fleetDefault, "globex": "0.1.0", "initech": "0.3.0-rc.1"], "\(targets.versions)")
        #expect(targets.notes.isEmpty)
    }
}
