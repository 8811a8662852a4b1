import Foundation
import MaiCore

/// Backup and restore of one instance through its admin API.
public enum BackupOperations {
    /// Streams `GET /admin/v1/backup` to a temporary file, checks it and keeps it compressed.
    public static func take(_ client: AdminAPIClient, slug: String, store: BackupStore, reason: String = "manual") async throws -> BackupRecord {
        let download = try store.temporaryFile(slug, suffix: ".db")
        defer { try? FileManager.default.removeItem(at: download) }
        let response = try await client.download("/admin/v1/backup", to: download)
        guard let sha = response[header: BackupHeaders.sha256] else {
            throw BackupError("the agent sent no \(BackupHeaders.sha256) header; is it older than this maictl?")
        }
        let size = response[header: BackupHeaders.size].flatMap { Int64($0) }
        return try store.keep(slug, snapshot: download, expectedSHA256: sha, expectedBytes: size,
                              schema: response[header: BackupHeaders.schema] ?? "", reason: reason)
    }

    /// What a restore did.
    public struct RestoreReport: Sendable {
        public var restored: BackupRecord
        public var safetyBackup: BackupRecord?
        public var staged: RestoreStaged
        public var startedAt: Date
        public var users: Int
    }

    /// Uploads backup `id` (checked again first), waits for the agent to stop, swap it in, start
    /// and answer `/admin/v1/status` from a new process. `safetyBackup` first keeps what is replaced.
    /// `source` is the client the backup was taken of (default: `slug`) — another one when moving
    /// a client's data to a fresh instance.
    public static func restore(_ client: AdminAPIClient, slug: String, source: String? = nil, id: String, store: BackupStore, safetyBackup: Bool,
                               waitTimeout: Duration = .seconds(180), progress: @Sendable (String) -> Void = { _ in }) async throws -> RestoreReport {
        let file = try store.temporaryFile(slug, suffix: ".db")
        defer { try? FileManager.default.removeItem(at: file) }
        let record = try store.extract(source ?? slug, id: id, to: file)
        let before = try await client.status()
        var safety: BackupRecord?
        if safetyBackup {
            progress("keeping a copy of the current database first")
            safety = try await take(client, slug: slug, store: store, reason: "pre-restore")
        }
        progress("uploading \(record.id) (\(record.bytes) bytes)")
        let response = try await client.upload("PUT", "/admin/v1/restore", file: file, contentType: "application/vnd.sqlite3",
                                               headers: [HTTPHeader(BackupHeaders.sha256, record.sha256)])
        try client.check(response)
        guard response.status == 202, let staged = try? AdminAPI.decoder.decode(RestoreStaged.self, from: response.body) else {
            throw AdminAPIError.invalidResponse(host: client.hostLabel, reason: "expected 202 with the staged snapshot, got \(response.status)")
        }
        progress("staged; waiting for the agent to restart with it")
        let deadline = ContinuousClock.now + waitTimeout
        var lastError = "no answer yet"
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            do {
                let status = try await client.status()
                // A new process: started after the one that took the upload.
                if status.startedAt > before.startedAt || status.uptimeSeconds < before.uptimeSeconds {
                    let health: HTTPResponse = try await client.send(HTTPRequest(method: "GET", path: "/admin/v1/health"))
                    guard health.status == 200 else {
                        lastError = "deep health answered \(health.status)"
                        continue
                    }
                    return RestoreReport(restored: record, safetyBackup: safety, staged: staged, startedAt: status.startedAt, users: status.users)
                }
                lastError = "still the old process (started \(status.startedAt))"
            } catch {
                lastError = "\(error)"
            }
        }
        throw BackupError("the agent on \(slug) did not come back within \(waitTimeout) after the restore was staged (\(lastError)). "
            + "It keeps the replaced database as webui.db.before-restore-<time>; check its supervisor (podman ps / the agent's log).")
    }
}
