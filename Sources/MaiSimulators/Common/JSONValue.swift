import Foundation

/// A JSON document built by hand and rendered with keys in the order given.
///
/// The simulators render their answers with this instead of `JSONEncoder` so that key order is
/// stable, money is an exact decimal literal (never a `Double`), and the streaming path stays cheap.
public indirect enum JSONValue: Sendable, Equatable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    /// A number written exactly as given (already a valid JSON number literal).
    case number(String)
    case bool(Bool)
    case null

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.rendered == rhs.rendered }

    /// An integer number.
    public static func int(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    /// A string, or `null` when `nil`.
    public static func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }

    /// An integer, or `null` when `nil`.
    public static func int(_ value: Int?) -> JSONValue { value.map { .int($0) } ?? .null }

    /// The compact JSON text.
    public var rendered: String {
        var out = ""
        out.reserveCapacity(256)
        render(into: &out)
        return out
    }

    /// Appends the compact JSON text to `out`.
    public func render(into out: inout String) {
        switch self {
        case .object(let members):
            out.append("{")
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(",") }
                JSONValue.appendQuoted(key, to: &out)
                out.append(":")
                value.render(into: &out)
            }
            out.append("}")
        case .array(let items):
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                item.render(into: &out)
            }
            out.append("]")
        case .string(let text):
            JSONValue.appendQuoted(text, to: &out)
        case .number(let literal):
            out.append(literal)
        case .bool(let flag):
            out.append(flag ? "true" : "false")
        case .null:
            out.append("null")
        }
    }

    /// Appends `text` as a quoted JSON string, escaping what JSON requires (and `<`, `>`, `&` is left
    /// alone on purpose: tests send HTML through the simulator and must get it back verbatim).
    public static func appendQuoted(_ text: String, to out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{08}": out.append("\\b")
            case "\u{0C}": out.append("\\f")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }

    /// `text` as a quoted JSON string.
    public static func quoted(_ text: String) -> String {
        var out = ""
        appendQuoted(text, to: &out)
        return out
    }
}
