import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// bcrypt hashing on the thread pool: a hash takes ~0.25 s at cost 12 and must not block an event loop.
public struct PasswordHasher: Sendable {
    public let cost: UInt8
    private let dummy = DummyHash()

    public init(cost: UInt8) {
        self.cost = cost
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
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
