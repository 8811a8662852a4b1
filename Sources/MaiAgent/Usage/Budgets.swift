import Foundation
import GRDB
import HTTPTypes
import MaiCore
import Synchronization

/// Monthly spending limits (client price), per employee and for the whole instance.
struct Budgets: Sendable {
    let pool: DatabasePool
    let book: UsageBook

    /// Key of the instance-wide limit in `budgets`.
    static let instance = ""

    /// Limits by user id (`""` = the instance).
    func all() async throws -> [String: Money] {
        try await pool.read { db in
            var limits: [String: Money] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT user_id, monthly_limit_nanos FROM budgets") {
                limits[row[0]] = Money(nanos: row[1])
            }
            return limits
        }
    }

    /// Sets (or, with `nil`, removes) a limit.
    func set(userID: String, limit: Money?, now: Int64) async throws {
        try await pool.write { db in
            if let limit {
                try db.execute(sql: """
                    INSERT INTO budgets (user_id, monthly_limit_nanos, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (user_id) DO UPDATE SET monthly_limit_nanos = excluded.monthly_limit_nanos, updated_at = excluded.updated_at
                    """, arguments: [userID, limit.nanos, now])
            } else {
                try db.execute(sql: "DELETE FROM budgets WHERE user_id = ?", arguments: [userID])
            }
        }
    }

    /// Refuses a new request when the employee or the instance has already reached its monthly
    /// limit (before anything is saved into a chat); `BudgetGate` then holds the request's worst case.
    func check(userID: String, now: Date) async throws {
        let limits = try await all()
        if let limit = limits[Self.instance] {
            let spent = try await book.monthToDatePrice(userID: nil, now: now)
            if spent >= limit { throw Self.usedUp(limit: limit) }
        }
        if let limit = limits[userID] {
            let spent = try await book.monthToDatePrice(userID: userID, now: now)
            if spent >= limit { throw Self.usedUp(spent: spent, limit: limit) }
        }
    }

    static func usedUp(limit: Money) -> APIError {
        APIError(.init(code: 402, reasonPhrase: "Payment Required"),
                 "This company's AI budget for the month ($\(limit.humanAmount)) is used up. Ask your administrator to raise it.")
    }

    static func usedUp(spent: Money, limit: Money) -> APIError {
        APIError(.init(code: 402, reasonPhrase: "Payment Required"),
                 "You have used your AI budget for this month ($\(spent.humanAmount) of $\(limit.humanAmount)). Ask your administrator to raise it.")
    }
}

/// What one request may cost at most, priced before it leaves.
struct RequestCeiling: Sendable, Equatable {
    /// An upper bound of the prompt's tokens (UTF-8 bytes plus a margin per message: no tokenizer
    /// makes more tokens than bytes).
    var promptTokens: Int
    /// USD per prompt / completion token (the model's listed prices); `nil` when the model lists none.
    var promptPrice: Decimal?
    var completionPrice: Decimal?
    /// The completion cap the client asked for (`max_tokens`), if any.
    var requestedMaxTokens: Int?
    /// The model's context length, if known: the completion can never be longer.
    var contextLength: Int?

    /// Prompt tokens bound for `messages`.
    static func promptBound(_ texts: [String]) -> Int {
        texts.reduce(16) { $0 + $1.utf8.count + 8 }
    }
}

/// Hard monthly budgets. A request reserves its worst case (prompt bound × price + completion cap
/// × price, at the client price) *before* it leaves, against what is booked plus what other
/// requests in flight hold; when the remaining budget cannot pay for the whole cap, `max_tokens`
/// is lowered to what it can pay for. The hold is released once the request's real cost is booked,
/// so concurrent requests can never together spend past a limit (by more than rounding). One lock
/// orders every reservation and release (an actor alone would not: it lets another reservation in
/// while one awaits the database, and both would see the same budget left).
final class BudgetGate: Sendable {
    let budgets: Budgets
    let markup: @Sendable () async throws -> MarkupRate

    struct Hold: Sendable {
        var userID: String
        var amount: Money
    }

    /// A reservation: release it once the request's cost is booked.
    struct Reservation: Sendable, Equatable {
        var id: UUID
        /// Client price held.
        var amount: Money
        /// The completion cap to send (`nil` when no budget applies: the client's own, if any, stands).
        var maxTokens: Int?
    }

    private let holds = Mutex<[UUID: Hold]>([:])
    private let lock = AsyncLock()

    init(budgets: Budgets, markup: @escaping @Sendable () async throws -> MarkupRate) {
        self.budgets = budgets
        self.markup = markup
    }

    /// The completion cap of a request under a budget when the client asked for none.
    static let defaultCap = 16_384

    /// Reserves the worst case of a request or refuses it (402) when the budget left cannot pay
    /// for its prompt and at least one answer token.
    func reserve(userID: String, ceiling: RequestCeiling, now: Date) async throws -> Reservation {
        try await lock.withLock { try await reserveLocked(userID: userID, ceiling: ceiling, now: now) }
    }

    private func reserveLocked(userID: String, ceiling: RequestCeiling, now: Date) async throws -> Reservation {
        let limits = try await budgets.all()
        let scopes = [(Budgets.instance, limits[Budgets.instance]), (userID, limits[userID])].compactMap { scope, limit in
            limit.map { (scope, $0) }
        }
        guard !scopes.isEmpty else { return Reservation(id: UUID(), amount: .zero, maxTokens: nil) }
        // The least budget left over every limit that applies.
        var headroom: Money?
        for (scope, limit) in scopes {
            let spent = try await budgets.book.monthToDatePrice(userID: scope == Budgets.instance ? nil : scope, now: now)
            let held = holds.withLock { $0 }.values.filter { scope == Budgets.instance || $0.userID == scope }.reduce(Money.zero) { $0 + $1.amount }
            if spent >= limit {
                throw scope == Budgets.instance ? Budgets.usedUp(limit: limit) : Budgets.usedUp(spent: spent, limit: limit)
            }
            let left = limit - spent - held
            if left <= .zero {
                throw APIError(.tooManyRequests, "Other requests in flight hold the rest of this month's AI budget. Try again in a moment.",
                               headers: [.retryAfter: "5"])
            }
            headroom = min(headroom ?? left, left)
        }
        let left = headroom!
        let rate = try await markup()
        let perNano = Decimal(1_000_000_000) * Decimal(rate.millionths) / Decimal(1_000_000)
        // Client price in nano-dollars per token (exact decimals).
        let promptNanos = (ceiling.promptPrice ?? 0) * perNano
        let completionNanos = (ceiling.completionPrice ?? 0) * perNano
        let promptCost = Self.roundUp(promptNanos * Decimal(ceiling.promptTokens))
        guard promptCost < left.nanos else {
            throw APIError(.init(code: 402, reasonPhrase: "Payment Required"),
                           "This request is too large for what is left of this month's AI budget ($\(left.humanAmount)). Shorten it, or ask your administrator to raise the budget.")
        }
        // Without a cap from the client, a request under a budget is capped at `defaultCap` (or
        // what the context leaves): the worst case must be finite to be held.
        let contextLeft = ceiling.contextLength.map { max(1, $0 - ceiling.promptTokens) } ?? Self.defaultCap
        let wanted = ceiling.requestedMaxTokens ?? min(Self.defaultCap, contextLeft)
        var maxTokens = wanted
        if completionNanos > 0 {
            let affordable = Self.floor((Decimal(left.nanos - promptCost)) / completionNanos)
            guard affordable >= 1 else {
                throw APIError(.init(code: 402, reasonPhrase: "Payment Required"),
                               "What is left of this month's AI budget ($\(left.humanAmount)) cannot pay for an answer. Ask your administrator to raise it.")
            }
            maxTokens = min(wanted, affordable)
        }
        let amount = Money(nanos: min(left.nanos, promptCost + Self.roundUp(completionNanos * Decimal(maxTokens))))
        let id = UUID()
        holds.withLock { $0[id] = Hold(userID: userID, amount: amount) }
        return Reservation(id: id, amount: amount, maxTokens: maxTokens)
    }

    /// Ends a reservation (after the request's cost was booked, or when it never left).
    func release(_ id: UUID) async {
        await lock.withLock { _ = holds.withLock { $0.removeValue(forKey: id) } }
    }

    /// What requests in flight hold now (for the admin's view and tests).
    var held: Money { holds.withLock { $0.values.reduce(Money.zero) { $0 + $1.amount } } }

    static func roundUp(_ value: Decimal) -> Int64 {
        var value = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .up)
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    static func floor(_ value: Decimal) -> Int {
        var value = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .down)
        let number = NSDecimalNumber(decimal: rounded)
        return number.compare(NSDecimalNumber(value: Int.max / 2)) == .orderedDescending ? Int.max / 2 : number.intValue
    }
}

/// A reservation held by one request; released once, explicitly or when the request is dropped.
final class BudgetHold: Sendable {
    private let gate: BudgetGate
    private let id: UUID
    private let ended = Mutex(false)

    init(gate: BudgetGate, id: UUID) {
        self.gate = gate
        self.id = id
    }

    private func take() -> Bool {
        ended.withLock { done in
            defer { done = true }
            return !done
        }
    }

    func end() async {
        if take() { await gate.release(id) }
    }

    deinit {
        if take() {
            let gate = self.gate, id = self.id
            Task { await gate.release(id) }
        }
    }
}

/// A first-come, first-served lock for async code: `withLock` runs one body at a time, across awaits.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    init() {}

    func withLock<Value: Sendable>(_ body: () async throws -> Value) async rethrows -> Value {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.locked {
                    state.waiters.append(continuation)
                    return false
                }
                state.locked = true
                return true
            }
            if now { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.locked = false
                return nil
            }
            return state.waiters.removeFirst()  // the lock passes straight to the next waiter
        }
        next?.resume()
    }
}
