/// "Did you mean …" for a mistyped key: the closest known key within a small edit distance.
enum KeySuggestion {
    /// The known key closest to `key`, or `nil` when none is close enough to be a typo.
    static func closest(to key: String, among known: [String]) -> String? {
        let lowered = key.lowercased()
        var best: (key: String, distance: Int)?
        for candidate in known {
            let distance = editDistance(Array(lowered), Array(candidate))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        // A third of the word may be wrong, at least one letter, at most three.
        let allowed = min(3, max(1, best.key.count / 3))
        // A key with a shared stem ("ssh_key" for "ssh_keys", "email" for "admin_email") also counts.
        if best.distance <= allowed { return best.key }
        if let stem = known.first(where: { $0.hasSuffix("_" + lowered) || lowered.hasSuffix("_" + $0) }) {
            return stem
        }
        return nil
    }

    /// Levenshtein distance, with an adjacent transposition counted as one edit.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
