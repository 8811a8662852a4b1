/// The simulators' deterministic tokenizer: a token is a run of letters and digits, or any single
/// other non-space character; whitespace is never a token.
///
/// `"Hello, world!"` is 4 tokens (`Hello` `,` `world` `!`). Clients and tests can use it to check the
/// counts the simulators report.
public enum SimTokenizer {
    /// Number of tokens in `text`.
    public static func count(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            if isWordScalar(scalar) {
                if !inWord { count += 1; inWord = true }
            } else {
                inWord = false
                if !scalar.properties.isWhitespace { count += 1 }
            }
        }
        return count
    }

    /// `text` cut into pieces of exactly one token each; whitespace before a token belongs to that
    /// token's piece, and trailing whitespace to the last piece. Joining the pieces gives `text` back.
    public static func pieces(_ text: String) -> [String] {
        var pieces: [String] = []
        var current = String.UnicodeScalarView()
        var currentHasToken = false
        var inWord = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                if currentHasToken {
                    pieces.append(String(current))
                    current = String.UnicodeScalarView()
                    currentHasToken = false
                }
                inWord = false
                current.append(scalar)
            } else if isWordScalar(scalar) {
                if currentHasToken && !inWord {
                    pieces.append(String(current))
                    current = String.UnicodeScalarView()
                }
                current.append(scalar)
                currentHasToken = true
                inWord = true
            } else {
                if currentHasToken {
                    pieces.append(String(current))
                    current = String.UnicodeScalarView()
                }
                current.append(scalar)
                currentHasToken = true
                inWord = false
            }
        }
        if !current.isEmpty {
            if currentHasToken {
                pieces.append(String(current))
            } else if !pieces.isEmpty {
                pieces[pieces.count - 1] += String(current)
            }
        }
        return pieces
    }

    /// Lower-cased words (letter/digit runs) of `text`, for the embedding model.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isWordScalar(scalar) {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current).lowercased())
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current).lowercased()) }
        return words
    }

    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let value = scalar.value
            return (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A)
        }
        return scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}
