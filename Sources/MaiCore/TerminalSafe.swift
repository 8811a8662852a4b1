/// Text that came from a client's agent (names, e-mails, model ids) on its way to the operator's
/// terminal: control characters — ESC and the rest of C0 and C1, DEL — and the invisible
/// bidirectional overrides that reorder what a terminal shows are replaced by U+FFFD, so no cell
/// can move the cursor, retitle the window or hide text.
public enum TerminalSafe {
    /// Whether `scalar` could steer a terminal or reorder the text around it.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C: true
        default: false
        }
    }

    /// `text` with every unsafe scalar replaced; tabs and newlines become spaces (one line per cell).
    public static func cell(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\t" || scalar == "\n" || scalar == "\r" {
                result.append(" ")
            } else {
                result.append(isUnsafe(scalar) ? "\u{FFFD}" : scalar)
            }
        }
        return String(result)
    }
}
