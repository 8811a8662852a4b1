import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An SVG rewritten from an allowlist: the file is parsed as XML and written anew with only known,
/// drawing-only elements and attributes. Anything else — `<script>`, `<foreignObject>`, `<iframe>`,
/// `<meta>`, `<a>`, event handlers, links that leave the file, `data:` or `javascript:` values, CSS
/// with `url(…)` to anything but `#id`, `@import`, escapes or `expression(` — is not copied. A
/// blocklist could be talked around (`title=">"` hid an event handler from it); an allowlist cannot.
public enum SVGSanitizer {
    /// Elements copied (their local names); an unknown element is dropped with everything inside it.
    static let elements: Set<String> = [
        "svg", "g", "defs", "symbol", "use", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline",
        "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "pattern", "style",
        "filter", "feGaussianBlur", "feOffset", "feBlend", "feColorMatrix", "feMerge", "feMergeNode", "feFlood",
        "feComposite", "feDropShadow",
    ]

    /// Attributes copied; any other (event handlers included) is dropped.
    static let attributes: Set<String> = [
        "id", "class", "style", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width", "height",
        "d", "points", "viewBox", "preserveAspectRatio", "transform", "version", "xmlns", "xmlns:xlink", "xml:space",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity", "color", "display",
        "visibility", "overflow", "clip-path", "clip-rule", "mask", "filter", "offset", "stop-color", "stop-opacity",
        "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits", "patternContentUnits", "patternTransform",
        "maskUnits", "maskContentUnits", "clipPathUnits", "font-family", "font-size", "font-weight", "font-style",
        "text-anchor", "dominant-baseline", "letter-spacing", "stdDeviation", "dx", "dy", "in", "in2", "result", "mode",
        "values", "type", "operator", "k1", "k2", "k3", "k4", "flood-color", "flood-opacity", "href", "xlink:href",
    ]

    /// The most elements one logo may have.
    static let maximumElements = 20_000

    /// The rewritten SVG, or why there is nothing safe to keep.
    public static func sanitize(_ data: Data) -> Result<Data, SanitizeFailure> {
        guard let text = String(data: data, encoding: .utf8) else { return .failure(SanitizeFailure("it is not UTF-8 text")) }
        let lower = text.lowercased()
        if lower.contains("<!doctype") || lower.contains("<!entity") {
            return .failure(SanitizeFailure("it has a DOCTYPE or entity declarations; export it again as plain SVG"))
        }
        let rewriter = SVGRewriter()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = rewriter
        let parsed = parser.parse()
        if let problem = rewriter.problem { return .failure(SanitizeFailure(problem)) }
        guard parsed, rewriter.depth == 0, rewriter.sawRoot else {
            return .failure(SanitizeFailure("it is not well-formed XML (\(parser.parserError.map { "\($0.localizedDescription)" } ?? "it ends early")); export it again"))
        }
        return .success(Data(rewriter.output.utf8))
    }

    public struct SanitizeFailure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// A value free of anything that could load, link or run: no `javascript:`/`data:`/`vbscript:`,
    /// `url(…)` only to `#id`, no CSS escapes, `@import` or `expression(`. `href` only to `#id`.
    static func safe(_ name: String, _ value: String) -> Bool {
        let compact = String(value.lowercased().unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init))
        if name == "href" || name == "xlink:href" { return compact.hasPrefix("#") && !compact.contains(":") }
        if name == "xmlns" { return value == "http://www.w3.org/2000/svg" }
        if name == "xmlns:xlink" { return value == "http://www.w3.org/1999/xlink" }
        return safeCSS(compact)
    }

    /// `compact`: lower-cased, without whitespace.
    static func safeCSS(_ compact: String) -> Bool {
        for word in ["javascript:", "vbscript:", "data:", "@import", "expression(", "\\", "</", "behavior:", "-moz-binding"] where compact.contains(word) {
            return false
        }
        var rest = Substring(compact)
        while let range = rest.range(of: "url(") {
            let after = rest[range.upperBound...].drop { $0 == "\"" || $0 == "'" }
            guard after.hasPrefix("#") else { return false }
            rest = after
        }
        return true
    }
}

/// Writes the allowed part of an SVG while `XMLParser` reads it.
private final class SVGRewriter: NSObject, XMLParserDelegate {
    var output = ""
    var problem: String?
    var depth = 0
    var sawRoot = false
    private var skipping = 0
    private var elements = 0
    private var open: [String] = []
    private var style = ""

    static func local(_ name: String) -> String { String(name.split(separator: ":").last ?? Substring(name)) }

    static func escape(_ text: String, attribute: Bool) -> String {
        var result = text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        if attribute { result = result.replacingOccurrences(of: "\"", with: "&quot;") }
        return result
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        depth += 1
        if skipping > 0 { skipping += 1; return }
        let local = Self.local(name)
        if !sawRoot {
            guard local == "svg" else {
                problem = "its root element is <\(local)>, not <svg>"
                parser.abortParsing()
                return
            }
            sawRoot = true
        }
        guard SVGSanitizer.elements.contains(local) else {
            skipping = 1
            return
        }
        elements += 1
        guard elements <= SVGSanitizer.maximumElements else {
            problem = "it has more than \(SVGSanitizer.maximumElements) elements; simplify it"
            parser.abortParsing()
            return
        }
        var written = open.isEmpty ? " xmlns=\"http://www.w3.org/2000/svg\"" : ""
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            guard SVGSanitizer.attributes.contains(key), key != "xmlns", SVGSanitizer.safe(key, value) else { continue }
            written += " \(key)=\"\(Self.escape(value, attribute: true))\""
        }
        output += "<\(local)\(written)>"
        open.append(local)
        if local == "style" { style = "" }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        depth -= 1
        if skipping > 0 { skipping -= 1; return }
        guard let local = open.popLast() else { return }
        if local == "style" {
            let compact = String(style.lowercased().unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init))
            if SVGSanitizer.safeCSS(compact) { output += Self.escape(style, attribute: false) }
            style = ""
        }
        output += "</\(local)>"
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text(string)
    }

    func parser(_ parser: XMLParser, foundCDATA block: Data) {
        text(String(decoding: block, as: UTF8.self))
    }

    private func text(_ string: String) {
        guard skipping == 0, let current = open.last else { return }
        switch current {
        case "style": style += string
        case "text", "tspan", "title", "desc": output += Self.escape(string, attribute: false)
        default: break
        }
    }
}
