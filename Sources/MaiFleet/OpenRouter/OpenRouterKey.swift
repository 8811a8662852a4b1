import Foundation
import MaiCore

/// One key as `GET /keys`, `GET/PATCH /keys/{hash}` and `POST /keys` describe it (the fields
/// maictl uses; amounts are USD numbers, read exactly into `Money`).
public struct OpenRouterKey: Sendable, Equatable, Decodable {
    /// SHA-256 hex of the secret: OpenRouter's id for the key, and all maictl ever stores.
    public var hash: String
    public var name: String
    /// The masked secret (`sk-or-v1-abc...xyz`).
    public var label: String
    public var disabled: Bool
    /// Spending limit; `nil` is none.
    public var limit: Money?
    public var limitRemaining: Money?
    /// `daily`, `weekly`, `monthly` or `nil`.
    public var limitReset: String?
    public var includeByokInLimit: Bool
    public var usage: Money
    public var usageDaily: Money
    public var usageWeekly: Money
    public var usageMonthly: Money
    public var createdAt: String
    public var updatedAt: String?
    public var expiresAt: String?

    public init(hash: String, name: String, label: String, disabled: Bool, limit: Money?, limitRemaining: Money?, limitReset: String?,
                includeByokInLimit: Bool, usage: Money, usageDaily: Money, usageWeekly: Money, usageMonthly: Money,
                createdAt: String, updatedAt: String?, expiresAt: String?) {
        self.hash = hash
        self.name = name
        self.label = label
        self.disabled = disabled
        self.limit = limit
        self.limitRemaining = limitRemaining
        self.limitReset = limitReset
        self.includeByokInLimit = includeByokInLimit
        self.usage = usage
        self.usageDaily = usageDaily
        self.usageWeekly = usageWeekly
        self.usageMonthly = usageMonthly
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case hash, name, label, disabled, limit, usage
        case limitRemaining = "limit_remaining", limitReset = "limit_reset", includeByokInLimit = "include_byok_in_limit"
        case usageDaily = "usage_daily", usageWeekly = "usage_weekly", usageMonthly = "usage_monthly"
        case createdAt = "created_at", updatedAt = "updated_at", expiresAt = "expires_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hash = try c.decode(String.self, forKey: .hash)
        name = try c.decode(String.self, forKey: .name)
        label = try c.decode(String.self, forKey: .label)
        disabled = try c.decode(Bool.self, forKey: .disabled)
        limit = try c.decodeAmountIfPresent(forKey: .limit)
        limitRemaining = try c.decodeAmountIfPresent(forKey: .limitRemaining)
        limitReset = try c.decodeIfPresent(String.self, forKey: .limitReset)
        includeByokInLimit = try c.decodeIfPresent(Bool.self, forKey: .includeByokInLimit) ?? false
        usage = try c.decodeAmount(forKey: .usage)
        usageDaily = try c.decodeAmountIfPresent(forKey: .usageDaily) ?? .zero
        usageWeekly = try c.decodeAmountIfPresent(forKey: .usageWeekly) ?? .zero
        usageMonthly = try c.decodeAmountIfPresent(forKey: .usageMonthly) ?? .zero
        createdAt = try c.decode(String.self, forKey: .createdAt)
        updatedAt = try c.decodeIfPresent(String.self, forKey: .updatedAt)
        expiresAt = try c.decodeIfPresent(String.self, forKey: .expiresAt)
    }
}

/// `GET /key`: the calling key.
public struct OpenRouterCurrentKey: Sendable, Equatable, Decodable {
    public var label: String
    public var limit: Money?
    public var limitRemaining: Money?
    public var limitReset: String?
    public var usage: Money
    public var usageDaily: Money
    public var usageWeekly: Money
    public var usageMonthly: Money
    public var isFreeTier: Bool
    /// `is_management_key` (older name `is_provisioning_key`).
    public var isManagementKey: Bool
    public var expiresAt: String?

    enum CodingKeys: String, CodingKey {
        case label, limit, usage
        case limitRemaining = "limit_remaining", limitReset = "limit_reset"
        case usageDaily = "usage_daily", usageWeekly = "usage_weekly", usageMonthly = "usage_monthly"
        case isFreeTier = "is_free_tier", isManagementKey = "is_management_key", isProvisioningKey = "is_provisioning_key"
        case expiresAt = "expires_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        label = try c.decode(String.self, forKey: .label)
        limit = try c.decodeAmountIfPresent(forKey: .limit)
        limitRemaining = try c.decodeAmountIfPresent(forKey: .limitRemaining)
        limitReset = try c.decodeIfPresent(String.self, forKey: .limitReset)
        usage = try c.decodeAmount(forKey: .usage)
        usageDaily = try c.decodeAmountIfPresent(forKey: .usageDaily) ?? .zero
        usageWeekly = try c.decodeAmountIfPresent(forKey: .usageWeekly) ?? .zero
        usageMonthly = try c.decodeAmountIfPresent(forKey: .usageMonthly) ?? .zero
        isFreeTier = try c.decodeIfPresent(Bool.self, forKey: .isFreeTier) ?? false
        isManagementKey = try c.decodeIfPresent(Bool.self, forKey: .isManagementKey)
            ?? c.decodeIfPresent(Bool.self, forKey: .isProvisioningKey) ?? false
        expiresAt = try c.decodeIfPresent(String.self, forKey: .expiresAt)
    }
}

/// One `GET /activity` row: a day × model (× endpoint) for the keys asked about.
public struct OpenRouterActivity: Sendable, Equatable, Decodable {
    public var date: String
    public var model: String
    public var modelPermaslug: String
    public var endpointId: String
    public var providerName: String
    /// OpenRouter credits spent.
    public var usage: Money
    public var byokUsageInference: Money
    public var requests: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var reasoningTokens: Int

    public init(date: String, model: String, modelPermaslug: String, endpointId: String, providerName: String, usage: Money,
                byokUsageInference: Money, requests: Int, promptTokens: Int, completionTokens: Int, reasoningTokens: Int) {
        self.date = date
        self.model = model
        self.modelPermaslug = modelPermaslug
        self.endpointId = endpointId
        self.providerName = providerName
        self.usage = usage
        self.byokUsageInference = byokUsageInference
        self.requests = requests
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.reasoningTokens = reasoningTokens
    }

    enum CodingKeys: String, CodingKey {
        case date, model, usage, requests
        case modelPermaslug = "model_permaslug", endpointId = "endpoint_id", providerName = "provider_name"
        case byokUsageInference = "byok_usage_inference", promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens", reasoningTokens = "reasoning_tokens"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        date = try c.decode(String.self, forKey: .date)
        model = try c.decode(String.self, forKey: .model)
        modelPermaslug = try c.decodeIfPresent(String.self, forKey: .modelPermaslug) ?? model
        endpointId = try c.decodeIfPresent(String.self, forKey: .endpointId) ?? ""
        providerName = try c.decodeIfPresent(String.self, forKey: .providerName) ?? ""
        usage = try c.decodeAmount(forKey: .usage)
        byokUsageInference = try c.decodeAmountIfPresent(forKey: .byokUsageInference) ?? .zero
        requests = try c.decode(Int.self, forKey: .requests)
        promptTokens = try c.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0
        completionTokens = try c.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
        reasoningTokens = try c.decodeIfPresent(Int.self, forKey: .reasoningTokens) ?? 0
    }
}

/// `GET /credits`.
public struct OpenRouterCredits: Sendable, Equatable, Decodable {
    public var totalCredits: Money
    public var totalUsage: Money

    enum CodingKeys: String, CodingKey {
        case totalCredits = "total_credits", totalUsage = "total_usage"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        totalCredits = try c.decodeAmount(forKey: .totalCredits)
        totalUsage = try c.decodeAmount(forKey: .totalUsage)
    }
}

extension KeyedDecodingContainer {
    /// A USD amount sent as a JSON number, read exactly (the number's decimal digits, never a float).
    func decodeAmount(forKey key: Key) throws -> Money {
        guard let value = try decodeAmountIfPresent(forKey: key) else {
            throw DecodingError.valueNotFound(Money.self, .init(codingPath: codingPath + [key], debugDescription: "\(key.stringValue) is null"))
        }
        return value
    }

    func decodeAmountIfPresent(forKey key: Key) throws -> Money? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        if let text = try? decode(String.self, forKey: key) {
            guard let money = Money(decimal: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "'\(text)' is not a dollar amount")
            }
            return money
        }
        let decimal = try decode(Decimal.self, forKey: key)
        guard let money = Money(decimal) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\(decimal) is not a dollar amount")
        }
        return money
    }
}
