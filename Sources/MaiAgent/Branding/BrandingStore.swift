import Crypto
import Foundation
import GRDB
import MaiCore

/// The instance's branding as stored (table `branding`, one row). Read on every request that
/// shows it, so a change is served at once without a restart.
struct StoredBranding: Sendable, Equatable {
    var name: String?
    var light: [String: String]
    var dark: [String: String]
    var logo: BrandImage?
    var favicon: BrandImage?
    var version: String
    var updatedAt: Int64
}

/// Reads and writes the `branding` row. Only validated (`BrandValidation`) updates are stored.
struct BrandingStore: Sendable {
    let pool: DatabasePool

    func current() async throws -> StoredBranding? {
        try await pool.read { db in try Self.read(db) }
    }

    static func read(_ db: Database) throws -> StoredBranding? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM branding WHERE id = 1") else { return nil }
        let decode = { (text: String) in (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:] }
        let image = { (data: Data?, type: String?) -> BrandImage? in
            guard let data, let type else { return nil }
            return BrandImage(contentType: type, data: data)
        }
        return StoredBranding(name: row["name"], light: decode(row["light_json"]), dark: decode(row["dark_json"]),
                              logo: image(row["logo"], row["logo_type"]), favicon: image(row["favicon"], row["favicon_type"]),
                              version: row["version"], updatedAt: row["updated_at"])
    }

    /// Replaces the whole branding with `update` (already validated and normalised).
    @discardableResult
    func replace(with update: BrandingUpdate, by userID: String?, now: Int64) async throws -> StoredBranding {
        let stored = StoredBranding(name: update.name, light: update.light, dark: update.dark, logo: update.logo, favicon: update.favicon,
                                    version: Self.version(of: update, now: now), updatedAt: now)
        try await pool.write { db in try Self.write(stored, by: userID, db) }
        return stored
    }

    /// Changes part of the branding in one transaction (the admin settings UI): `change` sees the
    /// current values (or the built-in look) and returns what to store; validated again here.
    func modify(by userID: String?, now: Int64, _ change: @Sendable @escaping (inout BrandingUpdate) -> Void) async throws -> Result<StoredBranding, BrandProblems> {
        try await pool.write { db -> Result<StoredBranding, BrandProblems> in
            let current = try Self.read(db)
            var update = BrandingUpdate(name: current?.name, light: current?.light ?? [:], dark: current?.dark ?? [:],
                                        logo: current?.logo, favicon: current?.favicon)
            change(&update)
            let (normalized, problems) = BrandValidation.validate(update)
            guard problems.isEmpty else { return .failure(BrandProblems(problems: problems)) }
            let stored = StoredBranding(name: normalized.name, light: normalized.light, dark: normalized.dark, logo: normalized.logo,
                                        favicon: normalized.favicon, version: Self.version(of: normalized, now: now), updatedAt: now)
            try Self.write(stored, by: userID, db)
            return .success(stored)
        }
    }

    /// Back to the built-in look.
    func reset() async throws {
        _ = try await pool.write { db in try db.execute(sql: "DELETE FROM branding") }
    }

    static func write(_ stored: StoredBranding, by userID: String?, _ db: Database) throws {
        let encode = { (colors: [String: String]) -> String in
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return String(decoding: (try? encoder.encode(colors)) ?? Data("{}".utf8), as: UTF8.self)
        }
        try db.execute(sql: """
            INSERT OR REPLACE INTO branding (id, name, light_json, dark_json, logo, logo_type, favicon, favicon_type, version, updated_at, updated_by)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [stored.name, encode(stored.light), encode(stored.dark), stored.logo?.data, stored.logo?.contentType,
                             stored.favicon?.data, stored.favicon?.contentType, stored.version, stored.updatedAt, userID])
    }

    /// A short hash of everything shown plus the time: changes whenever the branding does.
    static func version(of update: BrandingUpdate, now: Int64) -> String {
        var hasher = SHA256()
        hasher.update(data: (try? AdminAPI.encoder.encode(update)) ?? Data())
        hasher.update(data: Data(String(now).utf8))
        return hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// What the admin API and the settings UI report.
    static func state(_ stored: StoredBranding?, defaultName: String) -> BrandingState {
        let info = { (image: BrandImage?) in image.map { BrandingState.Image(contentType: $0.contentType, bytes: $0.data.count, sha256: sha256Hex($0.data)) } }
        return BrandingState(name: stored?.name ?? defaultName, customName: stored?.name != nil, light: stored?.light ?? [:],
                             dark: stored?.dark ?? [:], logo: info(stored?.logo), favicon: info(stored?.favicon),
                             version: stored?.version ?? "default")
    }

    /// The style sheet served at `/branding.css`, after style.css: the brand's colours for the
    /// light scheme, then for dark (both when the system asks for it and when the user chose it).
    /// Values are validated `#rrggbb`, so nothing but colours can reach the CSS.
    static func css(_ stored: StoredBranding?) -> String {
        var css = "/* mAI branding \(stored?.version ?? "default") */\n"
        guard let stored else { return css }
        func block(_ selector: String, _ colors: [String: String], indent: String = "") -> String {
            let lines = BrandValidation.colorKeys.compactMap { key in
                colors[key].flatMap(BrandValidation.normalizedColor).map { "\(indent)  --color-\(key): \($0);" }
            }
            return lines.isEmpty ? "" : "\(indent)\(selector) {\n" + lines.joined(separator: "\n") + "\n\(indent)}\n"
        }
        css += block(":root", stored.light)
        let dark = block(":root:not([data-theme=\"light\"])", stored.dark, indent: "  ")
        if !dark.isEmpty {
            css += "@media (prefers-color-scheme: dark) {\n" + dark + "}\n"
            css += block(":root[data-theme=\"dark\"]", stored.dark)
        }
        return css
    }
}

/// Every reason an update was refused, for one `{"detail"}` answer.
struct BrandProblems: Error, Sendable {
    var problems: [BrandProblem]

    var detail: String {
        "Branding refused: " + problems.map(\.description).joined(separator: "; ") + "."
    }
}
