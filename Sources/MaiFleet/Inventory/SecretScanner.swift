/// Finds secret-looking text in a fleet file — in values and in comments alike, since both end up
/// in version control: OpenRouter keys (`sk-or-…`), PEM blocks (`-----BEGIN …`), and runs of 64
/// or more letters and digits (Hetzner API tokens are 64 base62 characters; so are fleet tokens).
public enum SecretScanner {
    /// What every finding tells the operator.
    public static let advice = "secrets belong in the environment or the state directory — remove it from the file (and rotate it: it has been written to disk)"

    /// The 1-based lines of `text` that hold something secret-looking, with what it looked like.
    public static func findings(in text: String) -> [(line: Int, kind: String)] {
        var result: [(line: Int, kind: String)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let kind = kind(of: line) { result.append((index + 1, kind)) }
        }
        return result
    }

    static func kind(of line: Substring) -> String? {
        if line.contains("sk-or-") { return "an OpenRouter key" }
        if line.contains("-----BEGIN") { return "a PEM key or certificate" }
        var run = 0
        for scalar in line.unicodeScalars {
            let isBase62 = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            run = isBase62 ? run + 1 : 0
            if run >= 64 { return "a 64-character token (such as a Hetzner API token)" }
        }
        return nil
    }
}
