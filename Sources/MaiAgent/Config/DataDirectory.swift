import Foundation
import MaiCore

/// The agent's data directory: created if missing, checked writable, and home of the secret key file.
public struct DataDirectory: Sendable {
    /// The directory path as configured.
    public let path: String

    /// Name of the file that keeps a generated `WEBUI_SECRET_KEY`.
    public static let secretKeyFileName = ".webui_secret_key"

    /// Creates the directory if needed and proves it is writable.
    ///
    /// - Throws: `ConfigError` for `DATA_DIR` that says what went wrong and what to do.
    public init(preparing path: String) throws(ConfigError) {
        self.path = path
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ConfigError("DATA_DIR", "'\(path)' is a file, not a directory; point DATA_DIR at a directory")
            }
        } else {
            do {
                try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ConfigError("DATA_DIR", "'\(path)' cannot be created (\(Self.reason(error))); choose a directory the agent's user can write")
            }
        }
        let probe = (path as NSString).appendingPathComponent(".write-test-\(getpid())")
        guard fileManager.createFile(atPath: probe, contents: Data("ok".utf8)) else {
            throw ConfigError("DATA_DIR", "'\(path)' is not writable; choose a directory the agent's user can write, or fix its owner")
        }
        try? fileManager.removeItem(atPath: probe)
    }

    /// The secret that signs tokens: `configured` when set, else the one kept in this directory,
    /// generated (48 random bytes) and stored with mode 0600 on first use.
    public func secretKey(configured: Secret?) throws(ConfigError) -> Secret {
        if let configured { return configured }
        let file = (path as NSString).appendingPathComponent(Self.secretKeyFileName)
        if let data = FileManager.default.contents(atPath: file) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.utf8.count >= 32 else {
                throw ConfigError("WEBUI_SECRET_KEY", "the stored key in '\(file)' is shorter than 32 characters; delete the file to generate a new one (everyone signs in again)")
            }
            // Tighten permissions a copy or restore may have loosened.
            chmod(file, 0o600)
            return Secret(text)
        }
        var bytes = [UInt8](repeating: 0, count: 48)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = UInt8.random(in: .min ... .max, using: &generator) }
        let key = Data(bytes).base64EncodedString()
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw ConfigError("DATA_DIR", "cannot create '\(file)' (\(String(cString: strerror(errno)))); check the directory's permissions")
        }
        defer { close(descriptor) }
        let written = key.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
        guard written == key.utf8.count else {
            throw ConfigError("DATA_DIR", "cannot write '\(file)'; check free disk space")
        }
        return Secret(key)
    }

    private static func reason(_ error: any Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}
