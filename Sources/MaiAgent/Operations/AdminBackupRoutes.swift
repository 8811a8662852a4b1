import Foundation
import HTTPTypes
import Hummingbird
import MaiCore
import NIOCore

/// The fleet admin API's backup and restore:
/// - `GET /admin/v1/backup` streams a `VACUUM INTO` snapshot of the live database, with its
///   SHA-256, size and schema in headers; the temporary file is removed once sent.
/// - `PUT /admin/v1/restore` takes a snapshot (body, `X-Mai-Backup-Sha256` header), checks and
///   stages it, answers 202 and stops the agent; the next start swaps it in.
struct AdminBackupRoutes {
    let services: AgentServices
    /// Called once a restore is staged (production: SIGTERM to this process).
    let onRestoreStaged: @Sendable () -> Void

    /// Largest snapshot accepted for restore.
    static let maxRestoreBytes: Int64 = 16 << 30
    static let temporaryPrefix = ".admin-"

    func addRoutes(to router: Router<AgentRequestContext>) {
        router.get("/admin/v1/backup", use: backup)
        router.put("/admin/v1/restore", use: restore)
    }

    var dataDirectory: String { services.config.dataDirectory }

    /// Removes temporary files an interrupted backup or upload left behind (older than 10 minutes).
    func sweep() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: dataDirectory) else { return }
        for name in names where name.hasPrefix(Self.temporaryPrefix) || (name.hasPrefix(".backup-") && name.hasSuffix(".partial")) {
            let path = (dataDirectory as NSString).appendingPathComponent(name)
            if let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified.timeIntervalSinceNow < -600 {
                try? manager.removeItem(atPath: path)
            }
        }
    }

    @Sendable func backup(_ request: Request, context: AgentRequestContext) async throws -> Response {
        sweep()
        let path = (dataDirectory as NSString).appendingPathComponent("\(Self.temporaryPrefix)backup-\(UUID().uuidString).db")
        let pool = services.database.pool
        let started = ContinuousClock.now
        let result: DatabaseBackup.Result
        do {
            result = try await Self.offloaded { try DatabaseBackup.snapshot(of: pool, to: path) }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            context.logger.error("backup failed", metadata: ["mai.op": "admin.backup", "error": "\(error)"])
            throw APIError(.internalServerError, "The snapshot failed: \(error). Check free space in DATA_DIR and the agent's logs.")
        }
        let schema = try await pool.read { db in try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1") } ?? ""
        context.logger.notice("backup taken", metadata: [
            "mai.op": "admin.backup", "bytes": .stringConvertible(result.bytes), "took": .string("\(ContinuousClock.now - started)"),
        ])
        guard let handle = FileHandle(forReadingAtPath: path) else {
            try? FileManager.default.removeItem(atPath: path)
            throw APIError(.internalServerError, "The snapshot file vanished before it could be sent; try again.")
        }
        // Unlinked now: the open handle keeps the data until the body is sent, and nothing is
        // left behind even if the client goes away mid-stream.
        try? FileManager.default.removeItem(atPath: path)
        let headers: HTTPFields = [
            .contentType: "application/vnd.sqlite3",
            .contentDisposition: "attachment; filename=\"\(services.config.instance)-webui.db\"",
            HTTPField.Name(BackupHeaders.sha256)!: result.sha256Hex,
            HTTPField.Name(BackupHeaders.size)!: String(result.bytes),
            HTTPField.Name(BackupHeaders.schema)!: schema,
            HTTPField.Name(BackupHeaders.instance)!: services.config.instance,
        ]
        let box = HandleBox(handle)
        return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: Int(result.bytes)) { writer in
            defer { box.close() }
            while let chunk = try box.handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }

    @Sendable func restore(_ request: Request, context: AgentRequestContext) async throws -> Response {
        guard let expected = request.headers[HTTPField.Name(BackupHeaders.sha256)!]?.trimmingCharacters(in: .whitespaces).lowercased(),
              expected.count == 64, expected.allSatisfy(\.isHexDigit) else {
            throw APIError(.badRequest, "Send the snapshot's SHA-256 (64 hex digits) in the \(BackupHeaders.sha256) header.")
        }
        sweep()
        let upload = (dataDirectory as NSString).appendingPathComponent("\(Self.temporaryPrefix)restore-\(UUID().uuidString).db")
        guard FileManager.default.createFile(atPath: upload, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: upload) else {
            throw APIError(.internalServerError, "Cannot write to DATA_DIR; check its permissions and free space.")
        }
        var received: Int64 = 0
        do {
            defer { try? handle.close() }
            for try await buffer in request.body {
                received += Int64(buffer.readableBytes)
                guard received <= Self.maxRestoreBytes else {
                    throw APIError(.contentTooLarge, "The snapshot is larger than \(Self.maxRestoreBytes >> 30) GiB.")
                }
                try handle.write(contentsOf: Data(buffer: buffer))
            }
        } catch {
            try? FileManager.default.removeItem(atPath: upload)
            throw error
        }
        guard received > 0 else {
            try? FileManager.default.removeItem(atPath: upload)
            throw APIError(.badRequest, "The request body is empty; send the snapshot file made by GET /admin/v1/backup.")
        }
        let staged: DatabaseRestore.Staged
        do {
            let directory = dataDirectory
            staged = try await Self.offloaded { try DatabaseRestore.stage(upload: upload, expectedSHA256: expected, dataDirectory: directory) }
        } catch let refusal as DatabaseRestore.Refusal {
            context.logger.warning("restore refused", metadata: ["mai.op": "admin.restore", "reason": .string(refusal.detail)])
            throw APIError(refusal.detail.contains("newer agent") ? .conflict : .unprocessableContent, refusal.detail)
        }
        let kept = (services.config.databasePath as NSString).lastPathComponent + ".before-restore-<time of restart>"
        context.logger.notice("restore staged; stopping so the next start swaps it in", metadata: [
            "mai.op": "admin.restore", "bytes": .stringConvertible(staged.bytes), "schema": .string(staged.schema),
        ])
        let answer = RestoreStaged(staged: true, bytes: staged.bytes, sha256: staged.sha256Hex, schema: staged.schema, keptAs: kept)
        onRestoreStaged()
        return Response(status: .accepted, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(data: try AdminAPI.encoder.encode(answer))))
    }

    /// Runs blocking file and SQLite work off the server's threads.
    static func offloaded<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

/// A file handle shared with the response body writer (closed once, after the last byte).
final class HandleBox: @unchecked Sendable {
    let handle: FileHandle
    private let lock = NSLock()
    private var closed = false

    init(_ handle: FileHandle) {
        self.handle = handle
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        try? handle.close()
    }
}
