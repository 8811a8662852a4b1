import Foundation
import MaiCore

/// The last backup of an instance before its server is deleted — the single hook `deprovision`
/// calls. It downloads the agent's `GET /admin/v1/backup` over the admin tunnel into the state
/// directory (`instances/<slug>/backups/final-<UTC time>.backup`, 0600).
public struct FinalBackup: Sendable {
    public var connector: FleetConnector
    /// Deadline for the whole download.
    public var timeout: Duration

    public init(connector: FleetConnector, timeout: Duration = .seconds(900)) {
        self.connector = connector
        self.timeout = timeout
    }

    /// The admin API path.
    public static let path = "/admin/v1/backup"

    /// Downloads the backup; returns the file written.
    public func take(_ instance: Instance, now: Date = Date()) async throws -> URL {
        let token = try connector.state.fleetToken(for: instance.slug)
        let adminPort = connector.adminPort
        let timeout = self.timeout
        let response = try await connector.withAdminAPI(instance) { _, session in
            let client = AdminAPIClient(tunnels: session, adminPort: adminPort, token: token, timeout: timeout, hostLabel: instance.slug)
            let response = try await client.send(HTTPRequest(method: "GET", path: Self.path))
            if response.status == 404 { throw FinalBackupError.endpointMissing(slug: instance.slug) }
            try client.check(response)
            return response
        }
        guard !response.body.isEmpty else { throw FinalBackupError.empty(slug: instance.slug) }
        return try store(response.body, for: instance.slug, now: now)
    }

    /// Writes `data` to a new 0600 file in the instance's `backups/` directory (0700).
    func store(_ data: Data, for slug: String, now: Date) throws -> URL {
        let directory = try connector.state.instanceDirectory(slug).appendingPathComponent("backups", isDirectory: true)
        try connector.state.prepare()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try connector.state.checkDirectory(directory)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let file = directory.appendingPathComponent("final-\(formatter.string(from: now)).backup")
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StateError.io(path: file.path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            unlink(file.path)
            throw StateError.io(path: file.path, reason: "short write: \(String(cString: strerror(errno)))")
        }
        return file
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
