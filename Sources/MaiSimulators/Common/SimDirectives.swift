/// Parses the `[[sim:…]]` directives a test puts in the last user message.
///
/// Syntax: `[[sim:NAME]]` or `[[sim:NAME=VALUE]]`, any number of them anywhere in the text. Names:
/// `error=401|402|429|500|502|503|…`, `midstream_error`, `cut_after=N`, `stall`, `latency_ms=N`,
/// `head_latency_ms=N`, `tps=N`, `reply=TEXT` (anything up to the closing `]]`), `tokens=N`. Unknown names are ignored.
public enum SimDirectives {
    /// The behaviour the directives in `text` ask for, and `text` with the directives removed
    /// (and trimmed of surrounding whitespace).
    public static func parse(_ text: String) -> (behavior: SimBehavior, cleaned: String) {
        guard text.contains("[[sim:") else { return (SimBehavior(), text) }
        var behavior = SimBehavior()
        var cleaned = ""
        var rest = Substring(text)
        while let open = rest.range(of: "[[sim:") {
            cleaned += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "]]") else {
                cleaned += rest[open.lowerBound...]
                rest = ""
                break
            }
            apply(String(afterOpen[..<close.lowerBound]), to: &behavior)
            rest = afterOpen[close.upperBound...]
        }
        cleaned += rest
        return (behavior, cleaned.trimmingWhitespace())
    }

    private static func apply(_ directive: String, to behavior: inout SimBehavior) {
        let name: Substring
        let value: String?
        if let equals = directive.firstIndex(of: "=") {
            name = directive[..<equals]
            value = String(directive[directive.index(after: equals)...])
        } else {
            name = Substring(directive)
            value = nil
        }
        switch name {
        case "error": behavior.error = value.flatMap { Int($0) }
        case "midstream_error": behavior.midstreamError = true
        case "cut_after": behavior.cutAfter = value.flatMap { Int($0) }
        case "stall": behavior.stall = true
        case "latency_ms": behavior.latencyMs = value.flatMap { Int($0) }
        case "head_latency_ms": behavior.headLatencyMs = value.flatMap { Int($0) }
        case "tps": behavior.tps = value.flatMap { Double($0) }
        case "reply": behavior.reply = value ?? ""
        case "tokens": behavior.tokens = value.flatMap { Int($0) }
        default: break
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
