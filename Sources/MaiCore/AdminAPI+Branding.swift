import Foundation

/// An image sent with branding: its declared content type and the bytes (base64 in JSON).
/// The receiver sniffs the bytes and ignores anything the declared type claims that they are not.
public struct BrandImage: Codable, Sendable, Equatable {
    public var contentType: String
    public var data: Data

    public init(contentType: String, data: Data) {
        self.contentType = contentType
        self.data = data
    }
}

/// `PUT /admin/v1/branding` (and the admin UI's `PUT /api/v1/admin/branding`) body: the whole
/// branding of an instance. What is left out goes back to the built-in look.
///
/// Colours are keyed by the UI's CSS variable without `--color-` (`primary`, `on-primary`, …,
/// see `BrandValidation.colorKeys`), each `#rrggbb`.
public struct BrandingUpdate: Codable, Sendable, Equatable {
    public var name: String?
    public var light: [String: String]
    public var dark: [String: String]
    public var logo: BrandImage?
    public var favicon: BrandImage?

    public init(name: String? = nil, light: [String: String] = [:], dark: [String: String] = [:], logo: BrandImage? = nil, favicon: BrandImage? = nil) {
        self.name = name
        self.light = light
        self.dark = dark
        self.logo = logo
        self.favicon = favicon
    }

    private enum CodingKeys: String, CodingKey { case name, light, dark, logo, favicon }

    /// Every field may be left out (colours: none).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        light = try container.decodeIfPresent([String: String].self, forKey: .light) ?? [:]
        dark = try container.decodeIfPresent([String: String].self, forKey: .dark) ?? [:]
        logo = try container.decodeIfPresent(BrandImage.self, forKey: .logo)
        favicon = try container.decodeIfPresent(BrandImage.self, forKey: .favicon)
    }
}

/// `GET`/`PUT /admin/v1/branding` answer: what the instance shows now (images by type, size and hash).
public struct BrandingState: Codable, Sendable, Equatable {
    public struct Image: Codable, Sendable, Equatable {
        public var contentType: String
        public var bytes: Int
        public var sha256: String

        public init(contentType: String, bytes: Int, sha256: String) {
            self.contentType = contentType
            self.bytes = bytes
            self.sha256 = sha256
        }
    }

    /// The name shown (the instance's `WEBUI_NAME` when the branding sets none).
    public var name: String
    /// Whether the name comes from the branding.
    public var customName: Bool
    public var light: [String: String]
    public var dark: [String: String]
    public var logo: Image?
    public var favicon: Image?
    /// Changes with every update (cache key of `/branding.css` and the images).
    public var version: String

    public init(name: String, customName: Bool, light: [String: String], dark: [String: String], logo: Image?, favicon: Image?, version: String) {
        self.name = name
        self.customName = customName
        self.light = light
        self.dark = dark
        self.logo = logo
        self.favicon = favicon
        self.version = version
    }
}

/// Response headers of `GET /admin/v1/backup` and request headers of `PUT /admin/v1/restore`.
public enum BackupHeaders {
    /// Lowercase hex SHA-256 of the snapshot file.
    public static let sha256 = "X-Mai-Backup-Sha256"
    /// Size of the snapshot in bytes (also `Content-Length`).
    public static let size = "X-Mai-Backup-Size"
    /// The last migration applied to the snapshot.
    public static let schema = "X-Mai-Backup-Schema"
    /// The instance the snapshot comes from.
    public static let instance = "X-Mai-Instance"
}

/// `PUT /admin/v1/restore` answer (202): the snapshot is staged and the agent is restarting.
public struct RestoreStaged: Codable, Sendable, Equatable {
    public var staged: Bool
    public var bytes: Int64
    public var sha256: String
    /// The last migration of the snapshot.
    public var schema: String
    /// The file the current database will be kept as.
    public var keptAs: String

    public init(staged: Bool, bytes: Int64, sha256: String, schema: String, keptAs: String) {
        self.staged = staged
        self.bytes = bytes
        self.sha256 = sha256
        self.schema = schema
        self.keptAs = keptAs
    }
}
