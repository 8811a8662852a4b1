/// The order a rollout works in: one canary alone, then batches; it stops once `maxFailures`
/// instances have failed (the canary failing stops it whatever the limit, since a release that
/// cannot start on one host is not tried on the others).
public struct RolloutPlan: Sendable, Hashable {
    /// How many instances a step holds after the canary.
    public enum BatchSize: Sendable, Hashable, CustomStringConvertible {
        case count(Int)
        case percent(Int)

        /// `5` or `25%`; `nil` for anything else (0, negatives, over 100 %).
        public init?(_ text: String) {
            if text.hasSuffix("%") {
                guard let value = Int(text.dropLast()), (1...100).contains(value) else { return nil }
                self = .percent(value)
            } else {
                guard let value = Int(text), value >= 1 else { return nil }
                self = .count(value)
            }
        }

        /// The size for `total` instances (at least 1; a percentage rounds up).
        public func size(of total: Int) -> Int {
            switch self {
            case .count(let count): max(1, count)
            case .percent(let percent): max(1, (total * percent + 99) / 100)
            }
        }

        public var description: String {
            switch self {
            case .count(let count): String(count)
            case .percent(let percent): "\(percent)%"
            }
        }
    }

    /// The steps in order; the first holds only the canary.
    public let steps: [[String]]
    public let maxFailures: Int

    /// Plans `instances` (in fleet order; the first is the canary, unless `canary` names another).
    public init(instances: [String], batch: BatchSize, maxFailures: Int, canary: String? = nil) {
        var rest = instances
        var steps: [[String]] = []
        if !rest.isEmpty {
            let first = canary.flatMap { rest.firstIndex(of: $0) } ?? 0
            steps.append([rest.remove(at: first)])
        }
        let size = batch.size(of: max(1, rest.count))
        while !rest.isEmpty {
            steps.append(Array(rest.prefix(size)))
            rest.removeFirst(min(size, rest.count))
        }
        self.steps = steps
        self.maxFailures = max(1, maxFailures)
    }

    /// Whether the rollout goes on after step `index` finished with `failures` failed instances
    /// in total so far.
    public func continues(afterStep index: Int, failures: Int) -> Bool {
        if index == 0 && failures > 0 { return false }
        return failures < maxFailures
    }
}
