import Foundation

/// A chat's title made from its first user message, for chats the client did not name.
enum ChatTitle {
    /// The title of a chat with nothing to name it after.
    static let untitled = "New chat"
    /// Longest title made here, in characters, including the "…".
    static let maximumLength = 60

    /// Whether `title` is a placeholder rather than a name someone chose (Open WebUI's client sends
    /// "New Chat" until it has generated a title).
    static func isPlaceholder(_ title: String?) -> Bool {
        guard let title else { return true }
        let trimmed = title.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty || trimmed.lowercased() == untitled.lowercased()
    }

    /// The first line of `message` that has words in it, markdown stripped, whitespace collapsed,
    /// at most `maximumLength` characters (cut at a word boundary with "…"); `untitled` when empty.
    static func make(from message: String?) -> String {
        guard let message else { return untitled }
        for line in message.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let text = plain(String(line))
            if !text.isEmpty { return shortened(text) }
        }
        return untitled
    }

    /// `line` without markdown decoration and with single spaces.
    static func plain(_ line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespaces)
        // A code fence line (```swift) names the language, not the question.
        if text.hasPrefix("```") || text.hasPrefix("~~~") { return "" }
        text = strippingBlockMarkers(text)
        text = strippingLinks(text)
        text.removeAll { "*_`~".contains($0) }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Removes heading, quote and list markers at the start of a line ("## ", "> ", "- ", "1. ").
    private static func strippingBlockMarkers(_ line: String) -> String {
        var text = Substring(line)
        while true {
            let before = text
            text = text.drop { $0 == " " }
            if text.first == "#" || text.first == ">" {
                text = text.drop { $0 == "#" || $0 == ">" }
            } else if let first = text.first, "-+*".contains(first), text.dropFirst().first == " " {
                text = text.dropFirst(2)
            } else if let dot = text.firstIndex(where: { $0 == "." || $0 == ")" }),
                      dot > text.startIndex, text[text.startIndex..<dot].allSatisfy(\.isASCIIDigitCharacter),
                      text[text.index(after: dot)...].first == " " {
                text = text[text.index(after: dot)...]
            }
            if text == before { return String(text) }
        }
    }

    /// `[text](url)` and `![alt](url)` become `text` and `alt`.
    private static func strippingLinks(_ line: String) -> String {
        var output = ""
        var rest = Substring(line)
        while let open = rest.firstIndex(of: "[") {
            guard let close = rest[open...].firstIndex(of: "]"),
                  rest[rest.index(after: close)...].first == "(",
                  let end = rest[close...].firstIndex(of: ")") else { break }
            var prefix = rest[..<open]
            if prefix.last == "!" { prefix = prefix.dropLast() }
            output += prefix
            output += rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: end)...]
        }
        return output + rest
    }

    /// `text` itself when short enough, else cut at the last word boundary that fits, plus "…".
    static func shortened(_ text: String) -> String {
        guard text.count > maximumLength else { return text }
        let room = text.prefix(maximumLength - 1)
        var cut = room
        if let space = room.lastIndex(of: " "), room.distance(from: room.startIndex, to: space) >= maximumLength / 2 {
            cut = room[..<space]
        }
        // A word longer than half the title is cut inside the word rather than leaving a stub.
        while let last = cut.last, last == " " || ",;:.-".contains(last) { cut = cut.dropLast() }
        return cut + "…"
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
