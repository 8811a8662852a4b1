import Foundation

/// One reason branding is refused: which field, and what to do about it.
public struct BrandProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// The rules branding must pass, applied twice: by `maictl brand push` before sending and by the
/// agent on receipt (it never trusts the sender). Types are decided by the bytes, never by a file
/// name or a declared content type.
public enum BrandValidation {
    /// The UI's colour variables a brand may set (`--color-<key>` in style.css).
    public static let colorKeys = ["primary", "primary-hover", "on-primary", "bg", "surface", "surface-alt", "text", "muted", "border", "focus"]

    /// The built-in colours the contrast rule falls back to when a brand sets only one side.
    public static let builtIn: [String: [String: String]] = [
        "light": ["primary": "#4f46e5", "on-primary": "#ffffff"],
        "dark": ["primary": "#818cf8", "on-primary": "#0f1220"],
    ]

    /// WCAG 2 AA for normal text.
    public static let minimumContrast = 4.5
    public static let maxNameLength = 60
    public static let maxLogoBytes = 512 * 1024
    public static let maxFaviconBytes = 128 * 1024
    public static let maxLogoPixels = 4096
    public static let maxFaviconPixels = 1024

    /// What an image really is.
    public enum ImageKind: String, Sendable {
        case png, svg, ico

        public var contentType: String {
            switch self {
            case .png: "image/png"
            case .svg: "image/svg+xml"
            case .ico: "image/x-icon"
            }
        }
    }

    /// Checks everything and returns the update as it will be stored: colours as lowercase
    /// `#rrggbb`, image content types as sniffed, the name trimmed. `problems` empty means valid.
    public static func validate(_ update: BrandingUpdate) -> (normalized: BrandingUpdate, problems: [BrandProblem]) {
        var problems: [BrandProblem] = []
        var result = BrandingUpdate()
        if let name = update.name?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty {
            if name.count > maxNameLength {
                problems.append(BrandProblem("name", "is \(name.count) characters long; use at most \(maxNameLength)"))
            } else if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "<" || $0 == ">" }) {
                problems.append(BrandProblem("name", "contains control characters or < >; use plain text"))
            } else {
                result.name = name
            }
        }
        for (scheme, colors) in [("light", update.light), ("dark", update.dark)] {
            var normalized: [String: String] = [:]
            for (key, value) in colors.sorted(by: { $0.key < $1.key }) {
                guard colorKeys.contains(key) else {
                    problems.append(BrandProblem("colors.\(scheme).\(key)", "is not a colour the UI uses; use one of \(colorKeys.joined(separator: ", "))"))
                    continue
                }
                guard let color = normalizedColor(value) else {
                    problems.append(BrandProblem("colors.\(scheme).\(key)", "\"\(value.prefix(40))\" is not a colour; write it as \"#rrggbb\" (for example \"#0b5fff\")"))
                    continue
                }
                normalized[key] = color
            }
            if scheme == "light" { result.light = normalized } else { result.dark = normalized }
            let primary = normalized["primary"] ?? builtIn[scheme]!["primary"]!
            let onPrimary = normalized["on-primary"] ?? builtIn[scheme]!["on-primary"]!
            if normalized["primary"] != nil || normalized["on-primary"] != nil,
               let ratio = contrastRatio(primary, onPrimary), ratio < minimumContrast {
                problems.append(BrandProblem("colors.\(scheme)", String(format: "text %@ on primary %@ has a contrast of %.2f:1, below the %.1f:1 WCAG AA minimum; darken or lighten one of them (set on-primary)", onPrimary, primary, ratio, minimumContrast)))
            }
        }
        if let logo = update.logo {
            switch checkImage(logo.data, field: "logo", maxBytes: maxLogoBytes, maxPixels: maxLogoPixels, allowed: [.png, .svg]).flatMap({ kind in stored(kind, logo.data, field: "logo") }) {
            case .success(let image): result.logo = image
            case .failure(let problem): problems.append(problem)
            }
        }
        if let favicon = update.favicon {
            switch checkImage(favicon.data, field: "favicon", maxBytes: maxFaviconBytes, maxPixels: maxFaviconPixels, allowed: [.png, .svg, .ico]).flatMap({ kind in stored(kind, favicon.data, field: "favicon") }) {
            case .success(let image): result.favicon = image
            case .failure(let problem): problems.append(problem)
            }
        }
        return (result, problems)
    }

    /// `#rgb` or `#rrggbb` (any case) as lowercase `#rrggbb`; nil for anything else.
    public static func normalizedColor(_ text: String) -> String? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard value.hasPrefix("#") else { return nil }
        let hex = value.dropFirst()
        guard hex.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
        switch hex.count {
        case 6: return value
        case 3: return "#" + hex.map { "\($0)\($0)" }.joined()
        default: return nil
        }
    }

    /// WCAG 2 contrast ratio of two `#rrggbb` colours (1…21).
    public static func contrastRatio(_ first: String, _ second: String) -> Double? {
        guard let a = luminance(first), let b = luminance(second) else { return nil }
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    static func luminance(_ color: String) -> Double? {
        guard let value = normalizedColor(color), let number = UInt32(value.dropFirst(), radix: 16) else { return nil }
        let channels = [(number >> 16) & 0xFF, (number >> 8) & 0xFF, number & 0xFF].map { channel -> Double in
            let c = Double(channel) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    }

    /// What is kept of a checked image: an SVG is rewritten from the allowlist (`SVGSanitizer`),
    /// whatever passed the checks; other kinds as they are.
    static func stored(_ kind: ImageKind, _ data: Data, field: String) -> Result<BrandImage, BrandProblem> {
        guard kind == .svg else { return .success(BrandImage(contentType: kind.contentType, data: data)) }
        switch SVGSanitizer.sanitize(data) {
        case .success(let clean): return .success(BrandImage(contentType: kind.contentType, data: clean))
        case .failure(let failure): return .failure(BrandProblem(field, "SVG refused: \(failure.description)"))
        }
    }

    /// Sniffs, sizes and (for SVG) inspects one image.
    public static func checkImage(_ data: Data, field: String, maxBytes: Int, maxPixels: Int, allowed: Set<ImageKind>) -> Result<ImageKind, BrandProblem> {
        guard !data.isEmpty else { return .failure(BrandProblem(field, "is empty; give a PNG or SVG file")) }
        guard data.count <= maxBytes else {
            return .failure(BrandProblem(field, "is \(data.count) bytes; the limit is \(maxBytes / 1024) KiB — shrink or optimise the image"))
        }
        let names = allowed.map { $0.rawValue.uppercased() }.sorted().joined(separator: " or ")
        guard let kind = sniff(data) else {
            return .failure(BrandProblem(field, "is neither \(names) by its content (the file name does not count); convert it to \(names)"))
        }
        guard allowed.contains(kind) else {
            return .failure(BrandProblem(field, "is \(kind.rawValue.uppercased()), which is not allowed here; use \(names)"))
        }
        switch kind {
        case .png:
            guard let (width, height) = pngSize(data) else {
                return .failure(BrandProblem(field, "looks like a PNG but its header is broken; export it again"))
            }
            guard width >= 16, height >= 16, width <= maxPixels, height <= maxPixels else {
                return .failure(BrandProblem(field, "is \(width)×\(height) pixels; use 16 to \(maxPixels) pixels a side"))
            }
        case .svg:
            if let reason = svgProblem(data) { return .failure(BrandProblem(field, "SVG refused: \(reason)")) }
        case .ico:
            break
        }
        return .success(kind)
    }

    /// PNG by its 8-byte signature, ICO by its header, SVG by an `<svg` root element in UTF-8 text.
    public static func sniff(_ data: Data) -> ImageKind? {
        let bytes = [UInt8](data.prefix(8))
        if bytes == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if bytes.count >= 6, bytes[0] == 0, bytes[1] == 0, bytes[2] == 1, bytes[3] == 0, bytes[4] != 0 || bytes[5] != 0 { return .ico }
        guard let text = String(data: data, encoding: .utf8) else { return nil }
        var rest = Substring(text)
        if rest.hasPrefix("\u{FEFF}") { rest = rest.dropFirst() }
        // Skip whitespace, the XML declaration, comments and a doctype before the root element.
        while true {
            rest = rest.drop(while: \.isWhitespace)
            if rest.hasPrefix("<?") || rest.hasPrefix("<!--") || rest.hasPrefix("<!DOCTYPE") || rest.hasPrefix("<!doctype") {
                var end = rest.hasPrefix("<!--") ? "-->" : ">"
                // A doctype may carry an internal subset: <!DOCTYPE svg [ … ]>.
                if !rest.hasPrefix("<!--"), let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: ">"), open < close { end = "]>" }
                guard let range = rest.range(of: end) else { return nil }
                rest = rest[range.upperBound...]
                continue
            }
            break
        }
        guard rest.hasPrefix("<svg"), let next = rest.dropFirst(4).first, next.isWhitespace || next == ">" || next == "/" else { return nil }
        return .svg
    }

    /// Width and height from a PNG's IHDR chunk.
    public static func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        let be = { (offset: Int) in bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) } }
        let (width, height) = (be(16), be(20))
        return width > 0 && height > 0 ? (width, height) : nil
    }

    /// Why an SVG is unsafe to serve, or nil. Checks a copy with character references decoded and
    /// whitespace inside attribute values removed, so `&#106;avascript:` and `java script:` are caught.
    public static func svgProblem(_ data: Data) -> String? {
        guard let raw = String(data: data, encoding: .utf8) else { return "it is not UTF-8 text" }
        let text = decodeCharacterReferences(raw).lowercased()
        let compact = String(text.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) && $0.value >= 0x20 }.map(Character.init))
        if compact.contains("<script") || compact.contains(":script") { return "it contains a <script> element" }
        if compact.contains("<foreignobject") || compact.contains(":foreignobject") { return "it contains <foreignObject> (embedded HTML)" }
        if compact.contains("<!entity") { return "it declares XML entities" }
        if compact.contains("javascript:") || compact.contains("vbscript:") { return "it contains a javascript: URL" }
        if let handler = firstEventHandler(text) { return "it has an event handler attribute (\(handler)=)" }
        for prefix in ["href=\"", "href='", "url(\"", "url('", "url(", "@import\"", "@import'", "@importurl("] {
            for external in ["http:", "https:", "//", "ftp:", "file:"] where compact.contains(prefix + external) {
                return "it references an external resource (\(prefix.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "'", with: ""))\(external)…); embed everything in the file"
            }
        }
        if compact.contains("@import") { return "it imports a style sheet (@import)" }
        if compact.contains("href=\"data:text") || compact.contains("href='data:text") { return "it links a data: document" }
        return nil
    }

    /// The first `on…=` attribute inside a tag, e.g. `onload`.
    static func firstEventHandler(_ text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        var insideTag = false
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<" { insideTag = true } else if scalar == ">" { insideTag = false }
            // An attribute name starts after whitespace, a quote or '/' inside a tag.
            if insideTag, index + 2 < scalars.count, scalar == "o", scalars[index + 1] == "n", index > 0,
               [" ", "\t", "\n", "\r", "/", "\"", "'"].contains(scalars[index - 1]) {
                var end = index + 2
                while end < scalars.count, CharacterSet.letters.contains(scalars[end]) || scalars[end] == "-" || scalars[end] == ":" { end += 1 }
                var after = end
                while after < scalars.count, CharacterSet.whitespacesAndNewlines.contains(scalars[after]) { after += 1 }
                if end > index + 2, after < scalars.count, scalars[after] == "=" {
                    return String(String.UnicodeScalarView(scalars[index..<end]))
                }
            }
            index += 1
        }
        return nil
    }

    /// `&#106;` and `&#x6a;` replaced by the characters they stand for.
    static func decodeCharacterReferences(_ text: String) -> String {
        guard text.contains("&#") else { return text }
        var output = ""
        var rest = Substring(text)
        while let range = rest.range(of: "&#") {
            output += rest[..<range.lowerBound]
            let after = rest[range.upperBound...]
            let hex = after.first == "x" || after.first == "X"
            let digits = (hex ? after.dropFirst() : after).prefix { hex ? $0.isHexDigit : $0.isNumber }
            if !digits.isEmpty, let value = UInt32(digits, radix: hex ? 16 : 10), let scalar = Unicode.Scalar(value) {
                output.unicodeScalars.append(scalar)
                var consumed = after.dropFirst((hex ? 1 : 0) + digits.count)
                if consumed.first == ";" { consumed = consumed.dropFirst() }
                rest = consumed
            } else {
                output += "&#"
                rest = after
            }
        }
        output += rest
        return output
    }
}
