/// The deterministic answer to a prompt, cut into one-token pieces (one piece per content chunk).
///
/// Without `reply=`, the answer echoes the first tokens of the last user message, then filler words
/// chosen by a hash of the prompt, then a full stop — `tokens` (or the default) tokens in all,
/// never more than `max_tokens`.
public struct ReplyPlan: Sendable, Equatable {
    /// The answer, one token per piece.
    public let pieces: [String]
    /// `true` when `max_tokens` cut the answer short.
    public let truncated: Bool

    /// The whole answer text.
    public var text: String { pieces.joined() }
    /// Completion tokens of the whole answer.
    public var tokenCount: Int { pieces.count }

    /// How many tokens of the user's message the answer echoes.
    public static let echoTokens = 8

    static let fillerWords = [
        "the", "fleet", "answers", "quietly", "while", "every", "agent", "streams", "tokens", "across",
        "a", "calm", "network", "and", "simulated", "models", "keep", "their", "books", "exact",
        "so", "tests", "can", "compare", "costs", "without", "guessing", "anything", "at", "all",
    ]

    public init(pieces: [String], truncated: Bool) {
        self.pieces = pieces
        self.truncated = truncated
    }

    /// The answer for `lastUserText` (directives already removed) and the whole `promptText`.
    public init(behavior: SimBehavior, lastUserText: String, promptText: String, maxTokens: Int?, defaultTokens: Int) {
        var pieces: [String]
        if let reply = behavior.reply {
            pieces = SimTokenizer.pieces(reply)
        } else {
            let target = max(0, behavior.tokens ?? defaultTokens)
            pieces = ReplyPlan.composed(target: target, lastUserText: lastUserText, promptText: promptText)
        }
        var truncated = false
        if let maxTokens, maxTokens >= 0, pieces.count > maxTokens {
            pieces.removeLast(pieces.count - maxTokens)
            truncated = true
        }
        self.init(pieces: pieces, truncated: truncated)
    }

    private static func composed(target: Int, lastUserText: String, promptText: String) -> [String] {
        guard target > 0 else { return [] }
        var pieces = Array(SimTokenizer.pieces(lastUserText).prefix(min(echoTokens, target - 1)))
        if let first = pieces.first { pieces[0] = first.trimmingWhitespace() }
        if let last = pieces.last {
            var trimmed = last
            while trimmed.unicodeScalars.last?.properties.isWhitespace == true { trimmed.unicodeScalars.removeLast() }
            pieces[pieces.count - 1] = trimmed
        }
        var seed = fnv1a(promptText)
        while pieces.count < target - 1 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let word = fillerWords[Int((seed >> 33) % UInt64(fillerWords.count))]
            pieces.append(pieces.isEmpty ? word : " " + word)
        }
        pieces.append(".")
        return pieces
    }

    /// FNV-1a 64-bit hash of the UTF-8 bytes of `text`.
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return hash
    }
}
