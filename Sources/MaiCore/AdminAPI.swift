import Foundation

/// The fleet admin API's wire types, shared by the agent (which serves them on `ADMIN_BIND`) and
/// `maictl` (which reads them through an SSH tunnel). JSON keys are snake_case: use
/// `AdminAPI.encoder` / `AdminAPI.decoder`.
public enum AdminAPI {
    /// Encodes with snake_case keys and ISO 8601 dates.
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// Decodes what `encoder` wrote.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// Usage totals: exact nano-dollar amounts plus the 6-decimal text shown to people.
public struct UsageTotals: Codable, Sendable, Equatable {
    public var requests: Int
    public var promptTokens: Int
    public var completionTokens: Int
    /// What the providers charge.
    public var rawCost: Money
    /// What the client pays: raw × each day's markup.
    public var price: Money
    public var provisional: Int
    public var confirmed: Int
    public var unverified: Int
    public var estimated: Int

    public init(requests: Int, promptTokens: Int, completionTokens: Int, rawCost: Money, price: Money,
                provisional: Int, confirmed: Int, unverified: Int, estimated: Int) {
        self.requests = requests
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.rawCost = rawCost
        self.price = price
        self.provisional = provisional
        self.confirmed = confirmed
        self.unverified = unverified
        self.estimated = estimated
    }
}

extension UsageTotals {
    /// Nothing used.
    public static let zero = UsageTotals(requests: 0, promptTokens: 0, completionTokens: 0, rawCost: .zero, price: .zero,
                                         provisional: 0, confirmed: 0, unverified: 0, estimated: 0)

    /// Adds `other` to these totals.
    public mutating func add(_ other: UsageTotals) {
        requests += other.requests
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        rawCost += other.rawCost
        price += other.price
        provisional += other.provisional
        confirmed += other.confirmed
        unverified += other.unverified
        estimated += other.estimated
    }
}

/// `GET /admin/v1/status`.
public struct AdminStatus: Codable, Sendable, Equatable {
    /// The last confirmation run.
    public struct ConfirmationRun: Codable, Sendable, Equatable {
        public var finishedAt: Date
        public var confirmed: Int
        public var notReady: Int
        public var failed: Int
        public var unverified: Int
        public var remaining: Int
        public var rateLimited: Bool

        public init(finishedAt: Date, confirmed: Int, notReady: Int, failed: Int, unverified: Int, remaining: Int, rateLimited: Bool) {
            self.finishedAt = finishedAt
            self.confirmed = confirmed
            self.notReady = notReady
            self.failed = failed
            self.unverified = unverified
            self.remaining = remaining
            self.rateLimited = rateLimited
        }
    }

    /// The OpenRouter key in use, identified without revealing it.
    public struct KeyInfo: Codable, Sendable, Equatable {
        public var hash: String
        public var hint: String
        public var connectionId: String
        /// When this key was set on the agent (first seen, for a key from the environment);
        /// `nil` from agents older than `v6-openrouter-keys`.
        public var setAt: Date?

        public init(hash: String, hint: String, connectionId: String, setAt: Date? = nil) {
            self.hash = hash
            self.hint = hint
            self.connectionId = connectionId
            self.setAt = setAt
        }
    }

    public var instance: String
    public var name: String
    public var version: String
    public var startedAt: Date
    public var uptimeSeconds: Int64
    public var users: Int
    public var databaseBytes: Int64
    public var lastConfirmation: ConfirmationRun?
    public var openrouterKey: KeyInfo?
    public var today: UsageTotals
    public var markupRate: String

    public init(instance: String, name: String, version: String, startedAt: Date, uptimeSeconds: Int64, users: Int, databaseBytes: Int64,
                lastConfirmation: ConfirmationRun?, openrouterKey: KeyInfo?, today: UsageTotals, markupRate: String) {
        self.instance = instance
        self.name = name
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.users = users
        self.databaseBytes = databaseBytes
        self.lastConfirmation = lastConfirmation
        self.openrouterKey = openrouterKey
        self.today = today
        self.markupRate = markupRate
    }
}

/// `GET /admin/v1/usage?from=&to=&group_by=day|user|model`.
public struct AdminUsageReport: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        /// The day, user id or model.
        public var key: String
        /// For users: "Name <e-mail>".
        public var label: String
        public var totals: UsageTotals

        public init(key: String, label: String, totals: UsageTotals) {
            self.key = key
            self.label = label
            self.totals = totals
        }
    }

    public var instance: String
    public var from: String
    public var to: String
    public var groupBy: String
    public var rows: [Row]
    public var totals: UsageTotals

    public init(instance: String, from: String, to: String, groupBy: String, rows: [Row], totals: UsageTotals) {
        self.instance = instance
        self.from = from
        self.to = to
        self.groupBy = groupBy
        self.rows = rows
        self.totals = totals
    }
}

/// `PUT /admin/v1/openrouter-key` body.
public struct OpenRouterKeySwap: Codable, Sendable {
    public var key: String

    public init(key: String) {
        self.key = key
    }
}

/// `GET`/`PUT /admin/v1/openrouter-key` answer: the key in use and what old keys still have to confirm.
public struct OpenRouterKeyState: Codable, Sendable, Equatable {
    public struct OldKey: Codable, Sendable, Equatable {
        public var hash: String
        /// Provisional generations that key served, not yet confirmed.
        public var provisional: Int
        /// Completions still streaming with that key (not yet booked); `nil` from older agents.
        public var inFlight: Int?

        public init(hash: String, provisional: Int, inFlight: Int? = nil) {
            self.hash = hash
            self.provisional = provisional
            self.inFlight = inFlight
        }
    }

    public var currentHash: String?
    public var currentHint: String?
    /// Provisional generations under the current key.
    public var provisional: Int
    public var oldKeys: [OldKey]
    /// When the current key was set (see `AdminStatus.KeyInfo.setAt`).
    public var keySetAt: Date?
    /// Completions streaming with the current key.
    public var inFlight: Int?

    public init(currentHash: String?, currentHint: String?, provisional: Int, oldKeys: [OldKey], keySetAt: Date? = nil, inFlight: Int? = nil) {
        self.currentHash = currentHash
        self.currentHint = currentHint
        self.provisional = provisional
        self.oldKeys = oldKeys
        self.keySetAt = keySetAt
        self.inFlight = inFlight
    }

    /// Whether `hash` (an old key) still has generations to confirm or completions streaming.
    public func isDrained(oldHash hash: String) -> Bool {
        guard let old = oldKeys.first(where: { $0.hash == hash }) else { return true }
        return old.provisional == 0 && (old.inFlight ?? 0) == 0
    }
}

/// `POST /admin/v1/usage/settle`: OpenRouter's own record (`/activity`) for one key, per day and
/// model, sent by maictl (which holds the management key). The agent settles the requests it sent
/// but OpenRouter never named (no generation id: cancelled or cut before the response head, or the
/// agent died) with the difference between this record and its confirmed rows.
public struct AdminSettlementRequest: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        /// `YYYY-MM-DD` (UTC), as `/activity` dates.
        public var day: String
        public var model: String
        public var requests: Int
        public var promptTokens: Int
        public var completionTokens: Int
        /// OpenRouter credits spent that day on that model with the key.
        public var usage: Money

        public init(day: String, model: String, requests: Int, promptTokens: Int, completionTokens: Int, usage: Money) {
            self.day = day
            self.model = model
            self.requests = requests
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.usage = usage
        }
    }

    public var keyHash: String
    public var items: [Item]

    public init(keyHash: String, items: [Item]) {
        self.keyHash = keyHash
        self.items = items
    }
}

/// What a settlement did, per day and model.
public struct AdminSettlementResult: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var day: String
        public var model: String
        /// Unnamed requests booked at OpenRouter's figures.
        public var settled: Int
        /// Unnamed requests OpenRouter has no record of: they cost and count nothing.
        public var dropped: Int
        /// The cost booked on the settled requests.
        public var amount: Money
        /// Why nothing was done (e.g. rows still waiting for confirmation), when so.
        public var note: String?

        public init(day: String, model: String, settled: Int, dropped: Int, amount: Money, note: String?) {
            self.day = day
            self.model = model
            self.settled = settled
            self.dropped = dropped
            self.amount = amount
            self.note = note
        }
    }

    public var items: [Item]

    public init(items: [Item]) {
        self.items = items
    }
}
