import Foundation

/// The OpenRouter simulator's books: keys and served generations. Guarded by the simulator's lock.
struct OpenRouterStore: Sendable {
    /// Keys by hash.
    var keys: [String: SimulatedKey] = [:]
    /// Hashes in creation order (for `/keys` pagination).
    var keyOrder: [String] = []
    /// Hashes of deleted keys: never accepted again, even by prefix.
    var revoked: Set<String> = []
    var generations: [GenerationRecord] = []
    /// Completions being served now (no record yet), by generation id: what a test waits for before
    /// it breaks a request that OpenRouter has already started (and will charge).
    var running: [String: RunningCompletion] = [:]
    var generationIndex: [String: Int] = [:]
    /// Faults switched on through `POST /__sim/faults`.
    var faults = SimulatorFaults()
    /// Completions started so far (the next one's serial number).
    var completionsStarted: UInt64 = 0
    /// Responses that carried usage amounts so far (picks those amounts' forms).
    var amountResponses: UInt64 = 0

    /// The serial number of a completion that starts now.
    mutating func nextSerial() -> UInt64 {
        defer { completionsStarted += 1 }
        return completionsStarted
    }

    /// The counter for the amounts of a response rendered now.
    mutating func nextAmountCounter() -> UInt64 {
        defer { amountResponses += 1 }
        return amountResponses
    }

    struct RunningCompletion: Sendable {
        var keyHash: String
        var model: String
        var streamed: Bool
    }

    mutating func insert(_ key: SimulatedKey) {
        if keys[key.hash] == nil { keyOrder.append(key.hash) }
        keys[key.hash] = key
    }

    mutating func remove(hash: String) -> Bool {
        guard keys.removeValue(forKey: hash) != nil else { return false }
        keyOrder.removeAll { $0 == hash }
        revoked.insert(hash)
        return true
    }

    mutating func append(_ record: GenerationRecord) {
        generationIndex[record.id] = generations.count
        generations.append(record)
    }

    /// Usage of `keyHash` since `start` (all time when `nil`).
    func usage(keyHash: String?, since start: Date?) -> USDNanos {
        var total = USDNanos.zero
        for record in generations where (keyHash == nil || record.keyHash == keyHash) {
            if let start, record.createdAt < start { continue }
            total += record.cost
        }
        return total
    }
}
