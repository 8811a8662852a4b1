import Foundation

/// Rules for what people type into account forms; each failure says how to fix it.
enum Credentials {
    /// Lower-cased, trimmed e-mail, or an error when it does not look like an address.
    static func normalisedEmail(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.utf8.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !email.contains(where: { $0.isWhitespace || $0.isNewline })
        else {
            throw APIError(.badRequest, "'\(raw.prefix(100))' is not a valid e-mail address.")
        }
        return email
    }

    /// Checks a new password: 8 to 72 bytes (bcrypt ignores anything past 72).
    static func validateNewPassword(_ password: String) throws {
        let bytes = password.utf8.count
        guard bytes >= 8 else {
            throw APIError(.badRequest, "The password is too short: use at least 8 characters.")
        }
        guard bytes <= 72 else {
            throw APIError(.badRequest, "The password is too long: use at most 72 bytes (bcrypt ignores the rest).")
        }
    }

    /// A trimmed display name of 1 to 100 characters.
    static func name(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw APIError(.badRequest, "The name must not be empty.") }
        guard name.count <= 100 else { throw APIError(.badRequest, "The name is too long: use at most 100 characters.") }
        return name
    }

    /// A profile image: empty, a site path, a data: URL or an http(s) URL, at most 256 KiB.
    static func profileImageURL(_ raw: String?) throws -> String {
        guard let raw, !raw.isEmpty else { return "" }
        let allowed = raw.hasPrefix("/") || raw.hasPrefix("data:image/") || raw.hasPrefix("https://") || raw.hasPrefix("http://")
        guard allowed, raw.utf8.count <= 256 * 1024 else {
            throw APIError(.badRequest, "profile_image_url must be a data:image URL, an http(s) address or a path, at most 256 KiB.")
        }
        return raw
    }
}
