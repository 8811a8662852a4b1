import Foundation
import MaiCore

/// What maictl remembers about a client's Hetzner server, in the state directory
/// (`instances/<slug>/server`, JSON, 0600): how later commands (status, health, deploy) reach an
/// instance without `host = …` in its client file. The server id keys its pinned host key.
public struct ServerRecord: Sendable, Hashable, Codable {
    public var id: Int
    public var name: String
    public var ipv4: String
    public var ipv6: String?
    public var location: String
    public var serverType: String
    public var created: String

    public init(id: Int, name: String, ipv4: String, ipv6: String?, location: String, serverType: String, created: String) {
        self.id = id
        self.name = name
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.location = location
        self.serverType = serverType
        self.created = created
    }

    /// From the API's server object; nil when it has no public IPv4 address.
    public init?(server: HetznerServer) {
        guard let ipv4 = server.ipv4 else { return nil }
        self.init(id: server.id, name: server.name, ipv4: ipv4, ipv6: server.publicNet.ipv6?.ip, location: server.location,
                  serverType: server.serverType.name ?? "", created: server.created)
    }

    /// The id host keys are pinned under (the Hetzner server id: addresses are reused, ids are not).
    public var serverID: String { String(id) }

    enum CodingKeys: String, CodingKey {
        case id, name, ipv4, ipv6, location, serverType = "server_type", created
    }
}

extension StateDirectory {
    /// File name of the server record.
    public static let serverRecordName = "server"
    /// File name of the public host key generated for a server not yet created (pinned once the
    /// server has an id; kept so a crash between create and pin loses nothing).
    public static let pendingHostKeyName = "pending-host-key"

    /// The recorded server of `slug`, if provisioned.
    public func serverRecord(for slug: String) throws(StateError) -> ServerRecord? {
        guard let text = try readSecret(Self.serverRecordName, instance: slug) else { return nil }
        guard let record = try? JSONDecoder().decode(ServerRecord.self, from: Data(text.value.utf8)) else {
            throw .io(path: (try? instanceDirectory(slug).appendingPathComponent(Self.serverRecordName).path) ?? slug,
                      reason: "is not a server record: remove it and run maictl provision \(slug) again")
        }
        return record
    }

    /// Records `record` as `slug`'s server.
    public func writeServerRecord(_ record: ServerRecord, for slug: String) throws(StateError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let text = String(decoding: (try? encoder.encode(record)) ?? Data(), as: UTF8.self)
        try writeSecret(Secret(text), name: Self.serverRecordName, instance: slug)
    }

    /// Removes `slug`'s file `name`; true when there was one.
    @discardableResult
    public func removeFile(_ name: String, instance slug: String) throws(StateError) -> Bool {
        let file = try instanceDirectory(slug).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: file.path) else { return false }
        guard unlink(file.path) == 0 else { throw .io(path: file.path, reason: String(cString: strerror(errno))) }
        return true
    }
}
