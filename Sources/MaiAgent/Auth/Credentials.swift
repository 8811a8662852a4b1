import Foundation
import MaiCore

/// Rules for what people type into account forms; each failure says how to fix it.
enum Credentials {
    /// Whether `text` holds a control character (NUL, ESC…), a line or paragraph separator or an
    /// invisible format character such as a bidi override — never wanted in a name or an address,
    /// and able to steer the terminal of whoever prints it (SQLite would even cut a text at NUL).
    /// Joiners (ZWJ in emoji, ZWNJ in Persian and Indic names) are ordinary text and stay allowed.
    static func hasControls(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            if TerminalSafe.isUnsafe(scalar) || scalar.value == 0xFEFF { return true }
            switch scalar.properties.generalCategory {
            case .lineSeparator, .paragraphSeparator, .unassigned, .privateUse: return true
            default: return false
            }
        }
    }

    /// Lower-cased, trimmed e-mail, or an error when it does not look like an address.
    static func normalisedEmail(_ raw: String) throws -> String {
        guard !hasControls(raw.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw APIError(.badRequest, "The e-mail address contains control or invisible characters: type it again without them.")
        }
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
        guard !hasControls(name) else {
            throw APIError(.badRequest, "The name contains control or invisible characters (such as a line break, NUL or a direction override): type it again without them.")
        }
        return name
    }

    /// A profile image: empty, the default (`/static/user.svg`), or a base64 `data:` URL of a PNG,
    /// JPEG, GIF or WebP, at most 256 KiB. Never a path or an address: an `<img>` would request it
    /// with the viewer's cookies (a path such as the sign-out endpoint) or tell a stranger who
    /// looked at it (an outside address).
    static func profileImageURL(_ raw: String?) throws -> String {
        guard let raw, !raw.isEmpty else { return "" }
        let types = ["data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,", "data:image/webp;base64,"]
        let allowed = raw == "/static/user.svg" || types.contains { raw.hasPrefix($0) }
        guard allowed, raw.utf8.count <= 256 * 1024, !raw.contains(where: { $0.isWhitespace || $0 == "\"" || $0 == "'" }) else {
            throw APIError(.badRequest, "profile_image_url must be a PNG, JPEG, GIF or WebP image as a base64 data: URL, at most 256 KiB (or empty for the default picture).")
        }
        return raw
    }
}
