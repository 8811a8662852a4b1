/// Turns a question into an FTS5 query: its words (stop words dropped), each quoted so search
/// syntax in the question is only text, joined by OR so BM25 ranks partial matches too.
enum SearchTerms {
    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for", "from",
        "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "should",
        "so", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "us", "was", "we",
        "were", "what", "when", "where", "which", "who", "whom", "why", "will", "with", "would", "you", "your", "about",
        "tell", "please", "any", "much", "many", "there's", "what's", "get", "got", "need", "must", "may", "might",
        "der", "die", "das", "und", "ist", "ein", "eine", "wie", "was", "wer", "mit", "für", "den", "dem", "des", "zu",
        "i", "w", "z", "na", "jak", "czy", "się", "do", "to", "jest",
    ]

    /// The question's search words, lower-cased, in order, without duplicates.
    static func words(_ text: String) -> [String] {
        var seen = Set<String>()
        var words: [String] = []
        for word in text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }) {
            let word = String(word)
            guard word.count > 1 || word.first?.isNumber == true, !stopWords.contains(word), seen.insert(word).inserted else { continue }
            words.append(word)
            if words.count == 32 { break }
        }
        return words
    }

    /// The FTS5 MATCH expression, or `nil` when nothing searchable is left.
    static func matchExpression(_ text: String) -> String? {
        let words = words(text)
        guard !words.isEmpty else { return nil }
        return words.map { "\"\($0.replacingOccurrences(of: "\"", with: ""))\"" }.joined(separator: " OR ")
    }
}
