import Foundation
@testable import MaiFleet

/// A fleet directory in a fresh temporary directory, named `fleet` in problems.
struct TemporaryFleet {
    let root: URL

    /// A valid fleet.toml that tests start from.
    static let fleetTOML = """
        [hetzner]
        ssh_keys = ["operator"]

        [agent]
        version = "0.1.0"

        [operator]
        email = "ops@example.com"

        """

    /// A valid client file.
    static func client(domain: String = "chat.acme.example") -> String {
        """
        name = "Acme GmbH"
        domain = "\(domain)"
        admin_email = "admin@acme.example"

        """
    }

    init(fleet: String? = TemporaryFleet.fleetTOML, clients: [String: String] = ["acme": TemporaryFleet.client()]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("maifleet-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("clients"), withIntermediateDirectories: true)
        if let fleet { try write("fleet.toml", fleet) }
        for (slug, text) in clients { try write("clients/\(slug).toml", text) }
    }

    func write(_ path: String, _ text: String) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    var loader: FleetLoader { FleetLoader(directory: root, displayPath: "fleet") }

    /// The problems as printed; empty when the fleet is valid.
    func problems() -> [String] {
        do {
            _ = try loader.load()
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }
}
