import Foundation
import MaiCore

/// The last backup of an instance before its server is deleted — the single hook `deprovision`
/// calls. It is an ordinary checked backup (`BackupOperations.take`, reason `final`): streamed from
/// the agent's `GET /admin/v1/backup` over the admin tunnel, its checksum and `integrity_check`
/// verified, kept compressed in the backup store, listed by `maictl backup list <client>` and
/// restorable with `maictl restore`.
public struct FinalBackup: Sendable {
    public var connector: FleetConnector

    public init(connector: FleetConnector) {
        self.connector = connector
    }

    /// The admin API path.
    public static let path = "/admin/v1/backup"

    /// Takes the backup; returns the stored archive.
    public func take(_ instance: Instance) async throws -> URL {
        let store = BackupStore(state: connector.state)
        let record: BackupRecord
        do {
            record = try await connector.withAdminAPI(instance) { client, _ in
                try await BackupOperations.take(client, slug: instance.slug, store: store, reason: "final")
            }
        } catch AdminAPIError.http(_, 404, _) {
            throw FinalBackupError.endpointMissing(slug: instance.slug)
        }
        return try store.archive(instance.slug, id: record.id)
    }
}

/// Why no final backup was taken.
public enum FinalBackupError: Error, Sendable, Equatable, CustomStringConvertible {
    case endpointMissing(slug: String)
    case empty(slug: String)

    public var description: String {
        switch self {
        case .endpointMissing(let slug):
            "\(slug)'s agent has no backup endpoint (GET \(FinalBackup.path) answered 404; an older agent): deploy a newer agent first, or pass --skip-backup to delete the server without a backup"
        case .empty(let slug):
            "\(slug)'s agent answered an empty backup: nothing was deleted; check the agent's logs"
        }
    }
}
