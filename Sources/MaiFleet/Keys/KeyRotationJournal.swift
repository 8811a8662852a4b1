import Foundation
import MaiCore

/// Where one client's key rotation stands, kept in the state directory after every step so a
/// re-run resumes where it stopped. Holds key hashes only — never a secret.
public struct KeyRotationJournal: Codable, Sendable, Equatable {
    /// The steps, in order. Each names what is done.
    public enum Step: String, Codable, Sendable, CaseIterable {
        /// The old key and its limit are known; nothing changed yet.
        case started
        /// A new key exists at OpenRouter (`newHash`); the agent may not have it yet.
        case created
        /// The agent validated the new key and serves new requests with it.
        case switched
        /// The old key has nothing left to confirm and nothing streaming.
        case drained
        /// The old key is disabled at OpenRouter; it is deleted after the grace period.
        case disabled
        /// The old key is deleted: the rotation is complete.
        case finished
    }

    public var client: String
    public var step: Step
    public var oldHash: String
    public var newHash: String?
    public var newName: String?
    /// The limit and reset the new key gets (the old key's).
    public var limit: Money?
    public var limitReset: String?
    public var startedAt: Date
    public var updatedAt: Date
    /// When the old key may be deleted (set when it is disabled).
    public var deleteAfter: Date?
    /// Why the last run stopped, if it did.
    public var lastError: String?

    public init(client: String, oldHash: String, limit: Money?, limitReset: String?, now: Date) {
        self.client = client
        self.step = .started
        self.oldHash = oldHash
        self.limit = limit
        self.limitReset = limitReset
        self.startedAt = now
        self.updatedAt = now
    }

    /// Whether a run still has something to do.
    public var isOpen: Bool { step != .finished }
}

/// The OpenRouter keys a client has had (hashes and when each served), for reconciliation of
/// months that span a rotation.
public struct KeyHistory: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var hash: String
        public var name: String?
        public var activeFrom: Date?
        public var retiredAt: Date?
        /// When maictl disabled the key at OpenRouter (a rotation's old key, or `deprovision` /
        /// `keys disable`); absent in histories written before it was recorded.
        public var disabledAt: Date?
        public var deletedAt: Date?

        public init(hash: String, name: String? = nil, activeFrom: Date? = nil, retiredAt: Date? = nil, disabledAt: Date? = nil,
                    deletedAt: Date? = nil) {
            self.hash = hash
            self.name = name
            self.activeFrom = activeFrom
            self.retiredAt = retiredAt
            self.disabledAt = disabledAt
            self.deletedAt = deletedAt
        }
    }

    public var entries: [Entry] = []

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// Updates the entry for `hash` (adding it when new).
    public mutating func update(_ hash: String, _ change: (inout Entry) -> Void) {
        if let index = entries.firstIndex(where: { $0.hash == hash }) {
            change(&entries[index])
        } else {
            var entry = Entry(hash: hash)
            change(&entry)
            entries.append(entry)
        }
    }

    /// Keys that still exist at OpenRouter as far as maictl knows (not deleted), oldest first.
    public var undeleted: [Entry] { entries.filter { $0.deletedAt == nil } }

    /// Hashes of keys that served at some time in `[start, end)` (a key with unknown dates counts).
    public func hashes(servingBetween start: Date, and end: Date) -> [String] {
        entries.filter { entry in
            (entry.activeFrom ?? .distantPast) < end && (entry.retiredAt ?? .distantFuture) >= start
        }.map(\.hash)
    }
}
