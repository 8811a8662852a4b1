import Foundation
import MaiCore

/// A client's branding on disk: `fleet/clients/<slug>/brand/brand.toml` plus the image files it
/// names. Read and checked with the same rules the agent applies (`BrandValidation`); every
/// problem is reported as `file:line: field: message`.
///
/// ```toml
/// name = "Acme Assistant"      # shown in the header, the sign-in page and the tab title
/// logo = "logo.svg"            # PNG or SVG, at most 512 KiB (type decided by content)
/// favicon = "favicon.png"      # PNG, SVG or ICO, at most 128 KiB
///
/// [light]                      # the UI's colour variables (--color-…), "#rrggbb"
/// primary = "#0b5fff"
/// on_primary = "#ffffff"       # text on primary: contrast ≥ 4.5:1
///
/// [dark]
/// primary = "#8ab4ff"
/// on_primary = "#0b1020"
/// ```
public enum BrandFiles {
    public static let fileName = "brand.toml"
    static let rootKeys = ["name", "logo", "favicon"]

    /// The brand directory relative to the fleet directory: the client's `brand_dir` when set,
    /// else `clients/<slug>/brand`.
    public static func relativeDirectory(slug: String, brandDir: String?) -> String {
        brandDir ?? "clients/\(slug)/brand"
    }

    /// The brand directory of a client under the fleet directory.
    public static func directory(fleet: URL, slug: String, brandDir: String? = nil) -> URL {
        fleet.appendingPathComponent(relativeDirectory(slug: slug, brandDir: brandDir), isDirectory: true)
    }

    /// The TOML key of a colour variable (`on-primary` → `on_primary`).
    static func tomlKey(_ colorKey: String) -> String { colorKey.replacingOccurrences(of: "-", with: "_") }

    /// Reads and validates `<directory>/brand.toml`; `displayPath` names the directory in messages.
    public static func load(directory: URL, displayPath: String) throws(FleetValidationError) -> BrandingUpdate {
        let file = (displayPath as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(fileName).path) else {
            throw FleetValidationError(problems: [FleetProblem(file: file, line: nil, field: nil,
                "no such file — create it (see README, \"Branding\") with at least name = \"…\"")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FleetValidationError(problems: [FleetProblem(file: file, line: nil, field: nil, "is not UTF-8 text — save it as UTF-8")])
        }
        return try parse(text, file: file) { name in
            FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
        }
    }

    /// Parses and validates a brand file's text; `readFile` returns a file next to it (nil: missing).
    public static func parse(_ text: String, file: String, readFile: (String) -> Data?) throws(FleetValidationError) -> BrandingUpdate {
        let document: TOMLDocument
        do {
            document = try TOMLParser.parse(text)
        } catch {
            throw FleetValidationError(problems: [FleetProblem(file: file, line: error.line, field: nil, error.message)])
        }
        var problems: [FleetProblem] = []
        var update = BrandingUpdate()
        var lines: [String: Int] = [:]

        for entry in document.root.entries {
            lines[entry.key] = entry.line
            guard rootKeys.contains(entry.key) else {
                let hint = KeySuggestion.closest(to: entry.key, among: rootKeys + BrandValidation.colorKeys.map(tomlKey)).map { " — did you mean \($0)?" } ?? ""
                let colour = BrandValidation.colorKeys.map(tomlKey).contains(entry.key) ? " — colours go under [light] or [dark]" : hint
                problems.append(FleetProblem(file: file, line: entry.line, field: entry.key, "unknown key\(colour)"))
                continue
            }
            guard case .string(let value) = entry.value.kind else {
                problems.append(FleetProblem(file: file, line: entry.line, field: entry.key, "expected a string such as \"\(entry.key == "name" ? "Acme Assistant" : "logo.svg")\", found \(entry.value.typeDescription)"))
                continue
            }
            switch entry.key {
            case "name":
                update.name = value
            default:
                guard !value.isEmpty, !value.contains("/"), !value.hasPrefix(".") else {
                    problems.append(FleetProblem(file: file, line: entry.line, field: entry.key, "\"\(value)\" must be a file name in the brand directory (no / or leading .)"))
                    continue
                }
                guard let data = readFile(value) else {
                    problems.append(FleetProblem(file: file, line: entry.line, field: entry.key, "\(value) does not exist next to \(fileName) — add the file or fix the name"))
                    continue
                }
                let image = BrandImage(contentType: "application/octet-stream", data: data)
                if entry.key == "logo" { update.logo = image } else { update.favicon = image }
            }
        }

        for table in document.tables {
            guard table.name == "light" || table.name == "dark" else {
                let hint = KeySuggestion.closest(to: table.name, among: ["light", "dark"]).map { "did you mean [\($0)]?" } ?? "expected [light] or [dark]"
                problems.append(FleetProblem(file: file, line: table.line, field: "[\(table.name)]", "unknown table — \(hint)"))
                continue
            }
            lines["colors.\(table.name)"] = table.line
            var colors: [String: String] = [:]
            for entry in table.entries {
                let key = entry.key.replacingOccurrences(of: "_", with: "-")
                lines["colors.\(table.name).\(key)"] = entry.line
                guard BrandValidation.colorKeys.contains(key) else {
                    let all = BrandValidation.colorKeys.map(tomlKey)
                    let hint = KeySuggestion.closest(to: entry.key, among: all).map { "did you mean \($0)?" } ?? "use one of \(all.joined(separator: ", "))"
                    problems.append(FleetProblem(file: file, line: entry.line, field: "\(table.name).\(entry.key)", "not a colour of the UI — \(hint)"))
                    continue
                }
                guard case .string(let value) = entry.value.kind else {
                    problems.append(FleetProblem(file: file, line: entry.line, field: "\(table.name).\(entry.key)", "expected a colour string such as \"#0b5fff\", found \(entry.value.typeDescription)"))
                    continue
                }
                colors[key] = value
            }
            if table.name == "light" { update.light = colors } else { update.dark = colors }
        }

        let (normalized, rules) = BrandValidation.validate(update)
        for problem in rules {
            // The contrast rule sits on the primary colour's line (or the table header).
            let field = problem.field
            let line = lines[field + ".primary"] ?? lines[field + ".on-primary"] ?? lines[field]
            let shown = field.hasPrefix("colors.") ? String(field.dropFirst("colors.".count)).replacingOccurrences(of: "-", with: "_") : field
            problems.append(FleetProblem(file: file, line: line, field: shown, problem.message))
        }
        guard problems.isEmpty else { throw FleetValidationError(problems: problems.sortedByLine()) }
        return normalized
    }
}
