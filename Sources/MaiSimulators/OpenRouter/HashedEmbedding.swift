/// A deterministic stand-in embedding model: each lower-cased word is hashed into one of
/// `dimensions` buckets with a ±1 sign, and the vector is L2-normalised. Texts that share words
/// therefore have a higher cosine similarity than texts that do not.
public struct HashedEmbedding: Sendable {
    public let dimensions: Int

    public init(dimensions: Int = 384) {
        self.dimensions = max(1, dimensions)
    }

    /// The unit vector for `text` (all zeros when it has no words).
    public func vector(for text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimensions)
        for word in SimTokenizer.words(text) {
            let hash = ReplyPlan.fnv1a(word)
            let index = Int(hash % UInt64(dimensions))
            vector[index] += (hash >> 63) == 0 ? 1 : -1
        }
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return vector }
        return vector.map { $0 / norm }
    }

    /// Cosine similarity of two vectors of equal length.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in 0..<min(a.count, b.count) {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        guard na > 0, nb > 0 else { return 0 }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}
