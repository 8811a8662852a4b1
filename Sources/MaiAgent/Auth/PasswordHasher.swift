import Hummingbird
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import Synchronization

/// bcrypt hashing on the thread pool: a hash takes ~0.25 s at cost 12 and must not block an event loop.
///
/// At most `maximumConcurrent` hashes run or wait at once, agent-wide: beyond that a request is
/// refused at once (503 with Retry-After) instead of queueing behind a flood of sign-ins — 60
/// concurrent attempts once made a real user's sign-in take 14 s.
public struct PasswordHasher: Sendable {
    public let cost: UInt8
    private let dummy = DummyHash()
    private let gate: BcryptGate

    /// The default bound: four per core, so the wait behind a full gate stays about a second.
    public static var defaultConcurrency: Int { max(4, 4 * System.coreCount) }

    public init(cost: UInt8, maximumConcurrent: Int = PasswordHasher.defaultConcurrency) {
        self.cost = cost
        self.gate = BcryptGate(limit: maximumConcurrent)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await gate.run { try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) } }
    }

    public func verify(_ password: String, against hash: String) async throws -> Bool {
        try await gate.run { try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) } }
    }

    /// Spends the time a real verification would, so a wrong e-mail and a wrong password
    /// cannot be told apart by timing.
    public func verifyNothing(_ password: String) async throws {
        let existing = dummy.value.withLock { $0 }
        let hash: String
        if let existing {
            hash = existing
        } else {
            hash = try await self.hash("not-a-password-\(UInt64.random(in: 0 ... .max))")
            dummy.value.withLock { $0 = hash }
        }
        _ = try await verify(password, against: hash)
    }
}

/// A hash of nothing, made once, compared against when the e-mail is unknown.
private final class DummyHash: Sendable {
    let value = Mutex<String?>(nil)
}

/// The agent-wide admission count of bcrypt work: a `ConcurrencyGate` with one bound for everyone.
struct BcryptGate: Sendable {
    private let gate: ConcurrencyGate

    init(limit: Int) {
        gate = ConcurrencyGate(total: limit, perUser: .max)
    }

    func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await gate.run(user: "", refusal: { _ in
            APIError(.serviceUnavailable, "The server is busy checking other passwords. Try again in a few seconds.", headers: [.retryAfter: "2"])
        }, body)
    }
}
