import Foundation
import Testing
@testable import MaiFleet

@Suite struct ExampleFleetTests {
    /// The repository's `fleet/`, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fleet")

    @Test func repositoryExampleFleetValidates() throws {
        let fleet = try FleetLoader(directory: Self.directory, displayPath: "fleet").load()
        #expect(fleet.clients.map(\.slug) == ["acme", "globex"])
        let globex = try #require(fleet.instances.last)
        #expect(globex.serverType == "cx33")
        #expect(globex.location == "fsn1")
        #expect(globex.adminEmail == "it-admin@globex.example")
        #expect(fleet.instances.compactMap(\.host) == ["198.51.100.11", "198.51.100.12"])
    }

    @Test func tableAndJSONOutput() throws {
        let fleet = try FleetLoader(directory: Self.directory, displayPath: "fleet").load()
        #expect(fleet.clientTable.render() == """
            SLUG    NAME                DOMAIN             HOST           LOCATION  TYPE  VERSION  KEY LIMIT    STATE
            acme    Acme GmbH           chat.acme.example  198.51.100.11  nbg1      cx23  0.1.0    $50/monthly  enabled
            globex  Globex Corporation  ai.globex.example  198.51.100.12  fsn1      cx33  0.1.0    $250/weekly  enabled

            """)
        let json = try fleet.instancesJSON()
        let decoded = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]]
        let acme = try #require(decoded?.first)
        #expect(acme["slug"] as? String == "acme")
        #expect(acme["openrouter_key_limit"] as? String == "50")
        #expect(acme["openrouter_limit_reset"] as? String == "monthly")
        #expect(acme["markup_rate"] as? String == "1.3")
        #expect(acme["firewall_ssh_sources"] as? [String] == ["203.0.113.0/24", "198.51.100.0/24"])
        #expect(acme["agent_port"] as? Int == 8080)
    }
}
