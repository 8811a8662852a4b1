import Foundation
import Synchronization
import Testing
@testable import MaiFleet

@Suite("SSH fan-out: withBoundedParallelism")
struct SSHParallelismTests {
    struct Boom: Error, Equatable { let item: Int }

    @Test func neverRunsMoreThanTheLimitAndKeepsOrder() async {
        let running = Mutex((now: 0, peak: 0))
        let results = await withBoundedParallelism(limit: 3, over: Array(0..<20)) { item in
            running.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            try await Task.sleep(for: .milliseconds(5 + (item % 4) * 5))
            running.withLock { $0.now -= 1 }
            return item * 10
        }
        #expect(results.map { try? $0.get() } == (0..<20).map { $0 * 10 })
        #expect(running.withLock { $0.peak } == 3)
    }

    @Test func everyItemFinishesAndFailuresAreCollectedPerItem() async {
        let results = await withBoundedParallelism(limit: 2, over: [1, 2, 3, 4, 5]) { item in
            if item % 2 == 0 { throw Boom(item: item) }
            return item
        }
        #expect(results.count == 5)
        #expect(results.compactMap { try? $0.get() } == [1, 3, 5])
        let failures = results.compactMap { result -> Int? in
            if case .failure(let error as Boom) = result { return error.item }
            return nil
        }
        #expect(failures == [2, 4])
    }

    @Test func emptyInputAndLimitAboveCount() async {
        #expect(await withBoundedParallelism(limit: 8, over: [Int]()) { $0 }.isEmpty)
        #expect(await withBoundedParallelism(limit: 8, over: [7]) { $0 }.map { try? $0.get() } == [7])
    }
}
