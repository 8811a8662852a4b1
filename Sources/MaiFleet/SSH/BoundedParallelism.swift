/// Runs `operation` for every item with at most `limit` running at once, and waits for all of
/// them: one host's failure never stops the others (Kamal style). Results come back in the
/// order of `items`, each a success or that item's own error.
///
/// maictl uses it for fleet-wide fan-out (`--parallel`, default 8), one SSH session per host.
public func withBoundedParallelism<Item: Sendable, Value: Sendable>(
    limit: Int, over items: [Item], _ operation: @escaping @Sendable (Item) async throws -> Value
) async -> [Result<Value, any Error>] {
    precondition(limit >= 1, "parallelism limit must be at least 1")
    var results = [Result<Value, any Error>?](repeating: nil, count: items.count)
    await withTaskGroup(of: (Int, Result<Value, any Error>).self) { group in
        var next = 0
        func startNext() {
            guard next < items.count else { return }
            let index = next
            let item = items[index]
            next += 1
            group.addTask {
                do { return (index, .success(try await operation(item))) } catch { return (index, .failure(error)) }
            }
        }
        for _ in 0..<min(limit, items.count) { startNext() }
        while let (index, result) = await group.next() {
            results[index] = result
            startNext()
        }
    }
    return results.map { $0! }
}

extension SSHOptions {
    /// The default number of hosts worked on at once (`--parallel`).
    public static let defaultParallelism = 8
}
