import Crypto
import Foundation
import Hummingbird
import NIOCore

/// `/api/v1/files/…`: upload (Open WebUI's multipart form, or resumable in parts), list, show,
/// delete. The kind is decided from the bytes; refusals say why (too big, unsupported,
/// encrypted, corrupt). Extraction then runs in the background; each file shows its state.
struct FilesController {
    let services: AgentServices
    /// Largest part of a resumable upload.
    static let maximumPartBytes = 8 << 20
    /// One-request (multipart) uploads stream to disk as they arrive (memory does not grow with
    /// the file); still at most four at once in total and one per person, so one person cannot
    /// hold the disk's bandwidth. The resumable upload, which the web app uses, is bounded by its
    /// parts' size.
    let wholeUploads = ConcurrencyGate(total: 4, perUser: 1)

    var knowledge: KnowledgeService { services.knowledge }

    func addRoutes(to routes: RouteRegistrar) {
        let base = "/api/v1/files"
        routes.post("\(base)/", .user, use: upload)
        routes.get("\(base)/", .user, use: list)
        routes.post("\(base)/uploads", .user, use: startUpload)
        routes.on(.put, "\(base)/uploads/:id", .user, use: uploadPart)
        routes.get("\(base)/:id", .user, use: show)
        routes.delete("\(base)/:id", .user, use: delete)
    }

    @Sendable func list(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[FileResponse]> {
        let user = try context.requireIdentity().user.id
        return JSONResponse(try await knowledge.store.files(ownedBy: user).map(FileResponse.init))
    }

    @Sendable func show(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<FileResponse> {
        let user = try context.requireIdentity().user.id
        guard let file = try await knowledge.store.visibleFile(id: try context.parameters.require("id"), userID: user) else { throw Self.notFound }
        return JSONResponse(FileResponse(file))
    }

    @Sendable func delete(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<[String: Bool]> {
        let user = try context.requireIdentity().user.id
        let id = try context.parameters.require("id")
        guard try await knowledge.store.deleteFile(id: id, userID: user) else { throw Self.notFound }
        try? FileManager.default.removeItem(atPath: knowledge.path(of: id))
        await knowledge.vectors.invalidate()
        return JSONResponse(["status": true])
    }

    static let notFound = APIError(.notFound, "No such file.")

    // MARK: Upload in one request (multipart/form-data, field `file`)

    @Sendable func upload(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<FileResponse> {
        let user = try context.requireIdentity().user.id
        return try await wholeUploads.run(user: user, refusal: Self.busy) { try await self.uploadWhole(request, user: user) }
    }

    static func busy(_ mine: Bool) -> APIError {
        APIError(.tooManyRequests,
                 mine ? "Your previous upload is still being received. Wait for it, or send large files with the resumable upload (POST /api/v1/files/uploads)."
                      : "Too many uploads are being received right now. Try again in a few seconds, or use the resumable upload (POST /api/v1/files/uploads).",
                 headers: [.retryAfter: "5"])
    }

    private func uploadWhole(_ request: Request, user: String) async throws -> JSONResponse<FileResponse> {
        let settings = try await services.knowledgeSettings()
        guard let boundary = MultipartReader.boundary(contentType: request.headers[.contentType]) else {
            throw APIError(.unsupportedMediaType, "Send the file as multipart/form-data in a field named 'file', or use the resumable upload (POST /api/v1/files/uploads).")
        }
        let limit = settings.maxFileBytes + 64 << 10
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Self.tooBig(settings)
        }
        let sink = FormFileSink(maxBytes: settings.maxFileBytes, path: knowledge.path(of:), tooBig: Self.tooBig(settings))
        do {
            var reader = try MultipartReader(boundary: boundary)
            var received = 0
            for try await buffer in request.body {
                received += buffer.readableBytes
                guard received <= limit else { throw Self.tooBig(settings) }
                try buffer.withUnsafeReadableBytes { bytes in try reader.feed(bytes, sink.handle) }
                // A body that arrives faster than it is read never suspends the loop: let the other
                // requests run between chunks (four uploads once held both cooperative threads and
                // /health waited 3.5 s).
                await Task.yield()
            }
            try reader.finish()
            try sink.close()
        } catch {
            sink.discard()
            throw Self.formError(error)
        }
        guard let part = sink.chosen else {
            throw APIError(.badRequest, "No file found in the form: send it in a field named 'file' with a filename.")
        }
        do {
            guard part.size > 0 else { throw APIError(.unprocessableContent, "The file is empty. Upload a file with content.") }
            try await checkQuota(user: user, adding: part.size, settings: settings)
            let now = services.clock.seconds
            let filename = Self.cleanName(part.filename)
            let kind = try Self.checkKind(path: knowledge.path(of: part.id), name: filename)
            let file = FileRecord(id: part.id, userID: user, filename: filename, kind: kind.rawValue,
                                  size: part.size, received: part.size, sha256: part.sha256, status: .queued,
                                  errorCode: nil, error: nil, pages: 0, chunkCount: 0, chunkSize: 0, createdAt: now, updatedAt: now)
            try await knowledge.store.insert(file)
            await knowledge.worker.kick()
            return JSONResponse(FileResponse(file))
        } catch {
            sink.discard()
            throw error
        }
    }

    /// What the employee is told about a form that could not be read.
    static func formError(_ error: any Error) -> any Error {
        switch error {
        case let error as APIError: error
        case MultipartReader.Problem.boundaryTooLong:
            APIError(.badRequest, "The form's boundary is longer than 70 characters (RFC 2046). Send the file with a standard multipart/form-data encoder.")
        case MultipartReader.Problem.tooManyParts:
            APIError(.badRequest, "The form has more than \(MultipartReader.maxParts) parts. Send one file per request in a field named 'file'.")
        case MultipartReader.Problem.headersTooLong:
            APIError(.badRequest, "A part of the form has more than \(MultipartReader.maxHeaderBytes >> 10) KiB of headers. Send the file with a standard multipart/form-data encoder.")
        case MultipartReader.Problem.unterminated:
            APIError(.badRequest, "The form ended before its closing boundary: the upload was cut off. Send the file again.")
        default:
            APIError(.badRequest, "The upload was cut off. Send the file again.")
        }
    }

    // MARK: Resumable upload: announce, then PUT parts at the offset the server has

    struct StartForm: Decodable {
        var filename: String
        var size: Int64
    }

    @Sendable func startUpload(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<FileResponse> {
        var request = request
        let user = try context.requireIdentity().user.id
        let form = try await request.decodeJSON(as: StartForm.self, limit: 16 << 10)
        let settings = try await services.knowledgeSettings()
        guard form.size > 0 else { throw APIError(.unprocessableContent, "The file is empty. Upload a file with content.") }
        guard form.size <= Int64(settings.maxFileBytes) else { throw Self.tooBig(settings) }
        try await checkQuota(user: user, adding: form.size, settings: settings)
        let now = services.clock.seconds
        let file = FileRecord(id: UUID().uuidString.lowercased(), userID: user, filename: Self.cleanName(form.filename), kind: nil,
                              size: form.size, received: 0, sha256: nil, status: .uploading, errorCode: nil, error: nil,
                              pages: 0, chunkCount: 0, chunkSize: 0, createdAt: now, updatedAt: now)
        guard FileManager.default.createFile(atPath: knowledge.path(of: file.id), contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.serviceUnavailable, "The server could not store the file. Tell your administrator (disk full?).")
        }
        try await knowledge.store.insert(file)
        return JSONResponse(FileResponse(file))
    }

    /// `PUT /api/v1/files/uploads/{id}?offset=N` with raw bytes. The offset must be what the
    /// server already has (`received`); after an interruption, GET the file and resume there.
    @Sendable func uploadPart(_ request: Request, context: AgentRequestContext) async throws -> JSONResponse<FileResponse> {
        let user = try context.requireIdentity().user.id
        let id = try context.parameters.require("id")
        guard let file = try await knowledge.store.visibleFile(id: id, userID: user), file.userID == user else { throw Self.notFound }
        guard file.status == .uploading else {
            throw APIError(.conflict, "This upload is already complete.")
        }
        guard let offset = request.uri.queryParameters.get("offset").flatMap(Int64.init), offset == file.received else {
            throw APIError(.conflict, "Send the part at offset \(file.received): that is how much the server has.",
                           headers: [.init("Upload-Offset")!: String(file.received)])
        }
        let path = knowledge.path(of: id)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw APIError(.internalServerError, "The upload's storage is gone; start the upload again.") }
        try handle.truncate(atOffset: UInt64(offset))
        try handle.seekToEnd()
        var written: Int64 = 0
        let limit = min(Int64(Self.maximumPartBytes), file.size - offset)
        do {
            for try await buffer in request.body {
                written += Int64(buffer.readableBytes)
                guard written <= limit else {
                    try? handle.truncate(atOffset: UInt64(offset))
                    try? handle.close()
                    throw APIError(.contentTooLarge, "A part may hold at most \(Self.maximumPartBytes >> 20) MiB and must not go past the announced size.")
                }
                try handle.write(contentsOf: Data(buffer: buffer))
                await Task.yield()
            }
            try handle.close()
        } catch let error as APIError {
            throw error
        } catch {
            // The client went away mid-part: keep nothing of it, so the offset stays exact.
            try? handle.truncate(atOffset: UInt64(offset))
            try? handle.close()
            throw APIError(.badRequest, "The part was cut off; send it again from offset \(offset).")
        }
        let received = offset + written
        let now = services.clock.seconds
        guard received == file.size else {
            let updated = try await knowledge.store.update(id) { $0.received = received; $0.updatedAt = now }
            return JSONResponse(FileResponse(updated ?? file))
        }
        let kind: DocumentKind
        do {
            kind = try Self.checkKind(path: path, name: file.filename)
        } catch {
            _ = try? await knowledge.store.deleteFile(id: id, userID: user)
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let digest = try Self.sha256(path: path)
        let updated = try await knowledge.store.update(id) {
            $0.received = received
            $0.status = .queued
            $0.kind = kind.rawValue
            $0.sha256 = digest
            $0.updatedAt = now
        }
        await knowledge.worker.kick()
        return JSONResponse(FileResponse(updated ?? file))
    }

    // MARK: Checks

    private func checkQuota(user: String, adding bytes: Int64, settings: KnowledgeSettings) async throws {
        let used = try await knowledge.store.usedBytes(userID: user)
        guard used + bytes <= Int64(settings.userQuotaBytes) else {
            throw APIError(.contentTooLarge, "This would take your files to \(Self.mebibytes(used + bytes)) MiB; your quota is \(settings.userQuotaBytes >> 20) MiB. Delete files you no longer need, or ask your administrator for more space.")
        }
    }

    /// The kind from the bytes, or a refusal with the reason as the status says (415/422).
    static func checkKind(path: String, name: String) throws -> DocumentKind {
        do {
            return try DocumentKind.detect(path: path, name: name)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            switch error {
            case .unsupported: throw APIError(.unsupportedMediaType, error.message)
            default: throw APIError(.unprocessableContent, error.message)
            }
        }
    }

    static func tooBig(_ settings: KnowledgeSettings) -> APIError {
        APIError(.contentTooLarge, "The file is larger than the \(settings.maxFileBytes >> 20) MiB limit. Split it, or ask your administrator to raise RAG_FILE_MAX_SIZE.")
    }

    static func mebibytes(_ bytes: Int64) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }

    /// The name's last path component, without control characters, at most 255 characters.
    static func cleanName(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let clean = String(last.unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint && $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        return clean.isEmpty ? "file" : String(clean.prefix(255))
    }

    static func sha256(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hasher.update(data: data) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// The form's file part, written to disk while the body arrives: the part named `file`, or else the
/// first part with a filename. Nothing of other parts is kept.
final class FormFileSink {
    struct Part {
        var id: String
        var filename: String
        var named: Bool
        var size: Int64 = 0
        var sha256 = ""
    }

    let maxBytes: Int
    let path: (String) -> String
    let tooBig: APIError
    private(set) var chosen: Part?
    private var current: Part?
    private var handle: FileHandle?
    private var hasher = SHA256()

    init(maxBytes: Int, path: @escaping (String) -> String, tooBig: APIError) {
        self.maxBytes = maxBytes
        self.path = path
        self.tooBig = tooBig
    }

    func handle(_ event: MultipartReader.Event) throws {
        switch event {
        case let .part(name, filename):
            current = nil
            guard let filename, chosen?.named != true, chosen == nil || name == "file" else { return }
            let part = Part(id: UUID().uuidString.lowercased(), filename: filename, named: name == "file")
            guard FileManager.default.createFile(atPath: path(part.id), contents: nil, attributes: [.posixPermissions: 0o600]),
                  let handle = FileHandle(forWritingAtPath: path(part.id))
            else { throw APIError(.serviceUnavailable, "The server could not store the file. Tell your administrator (disk full?).") }
            self.handle = handle
            hasher = SHA256()
            current = part
        case let .content(bytes):
            guard current != nil, let handle else { return }
            current!.size += Int64(bytes.count)
            guard current!.size <= Int64(maxBytes) else { throw tooBig }
            hasher.update(bufferPointer: bytes)
            try handle.write(contentsOf: bytes)
        case .partEnd:
            guard var part = current else { return }
            try handle?.close()
            handle = nil
            part.sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            if let previous = chosen { try? FileManager.default.removeItem(atPath: path(previous.id)) }
            chosen = part
            current = nil
        }
    }

    /// The form is complete (a part left open is dropped).
    func close() throws {
        if let current {
            try? handle?.close()
            try? FileManager.default.removeItem(atPath: path(current.id))
        }
        handle = nil
        current = nil
    }

    /// Removes whatever was written.
    func discard() {
        try? handle?.close()
        handle = nil
        for part in [current, chosen].compactMap({ $0 }) { try? FileManager.default.removeItem(atPath: path(part.id)) }
        current = nil
        chosen = nil
    }
}
