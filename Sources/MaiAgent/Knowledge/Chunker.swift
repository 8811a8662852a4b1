/// Splits extracted text into passages of about `size` characters that end at paragraph or
/// sentence boundaries when they can, each starting with the last ~`overlap` characters of the
/// one before (from a word boundary), and never spanning two pages or slides, so each passage
/// has one position to cite.
struct Chunker: Sendable {
    struct Chunk: Sendable, Equatable {
        var text: String
        var unit: String?
        var number: Int?
        var label: String?
    }

    var size: Int
    var overlap: Int

    init(size: Int = 1000, overlap: Int = 100) {
        self.size = max(50, size)
        self.overlap = max(0, min(overlap, self.size / 2))
    }

    func chunks(_ document: ExtractedDocument) -> [Chunk] {
        document.sections.flatMap { section in
            pack(section.text).map { Chunk(text: $0, unit: section.unit, number: section.number, label: section.label) }
        }
    }

    /// The passages of one section's text.
    func pack(_ text: String) -> [String] {
        var output: [String] = []
        var current = ""
        var fresh = true  // `current` holds only the overlap carried over (or nothing)
        for (piece, separator) in pieces(text) {
            if !current.isEmpty, current.count + separator.count + piece.count > size {
                if !fresh { output.append(current) }
                current = tail(of: current)
                fresh = true
                if !current.isEmpty, current.count + 1 + piece.count > size { current = "" }
            }
            if current.isEmpty {
                current = piece
            } else {
                current += separator + piece
            }
            fresh = false
        }
        if !fresh, !current.isEmpty { output.append(current) }
        return output
    }

    /// Paragraphs, then lines, sentences and words as needed so that no piece is longer than `size`;
    /// each with the separator that joins it to the previous piece.
    func pieces(_ text: String) -> [(String, String)] {
        var result: [(String, String)] = []
        for paragraph in Self.split(text, on: "\n\n") {
            var separator = "\n\n"
            for line in paragraph.count <= size ? [paragraph] : Self.split(paragraph, on: "\n") {
                for sentence in line.count <= size ? [line] : Self.sentences(line) {
                    for part in sentence.count <= size ? [sentence] : hardSplit(sentence) {
                        result.append((part, separator))
                        separator = " "
                    }
                }
                separator = "\n"
            }
        }
        return result
    }

    static func split(_ text: String, on separator: String) -> [String] {
        text.components(separatedBy: separator)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
    }

    /// Sentences end at `.`, `!` or `?` followed by white space.
    static func sentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        var previous: Character = " "
        for character in text {
            if character.isWhitespace, previous == "." || previous == "!" || previous == "?" {
                let trimmed = current.trimmingCharacters(in: .whitespaces)
                if !trimmed.isEmpty { sentences.append(trimmed) }
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        let trimmed = current.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty { sentences.append(trimmed) }
        return sentences
    }

    /// Words packed up to `size`; a word longer than that is cut.
    func hardSplit(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        for word in text.split(whereSeparator: \.isWhitespace) {
            var word = Substring(word)
            // Cut from the front by index: asking a long word's `count` at every cut was quadratic
            // (one 4 MB word took 52 s).
            var start = word.startIndex
            while let end = word.index(start, offsetBy: size, limitedBy: word.endIndex), end < word.endIndex {
                if !current.isEmpty { parts.append(current); current = "" }
                parts.append(String(word[start..<end]))
                start = end
            }
            word = word[start...]
            if current.count + 1 + word.count > size, !current.isEmpty {
                parts.append(current)
                current = ""
            }
            current += current.isEmpty ? String(word) : " " + word
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    /// The last ~`overlap` characters, starting at a word boundary.
    func tail(of text: String) -> String {
        guard overlap > 0, text.count > overlap else { return "" }
        let start = text.index(text.endIndex, offsetBy: -overlap)
        let rest = text[start...]
        guard let space = rest.firstIndex(where: \.isWhitespace) else { return "" }
        return rest[space...].trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
