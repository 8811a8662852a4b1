import Foundation
import MaiCore

/// The body of `POST /keys`.
public struct NewOpenRouterKey: Sendable, Equatable {
    /// Required, not empty.
    public var name: String
    /// `nil`: no limit.
    public var limit: Money?
    /// `daily`, `weekly`, `monthly`; `nil`: never resets.
    public var limitReset: String?
    public var includeByokInLimit: Bool?

    public init(name: String, limit: Money? = nil, limitReset: String? = nil, includeByokInLimit: Bool? = nil) {
        self.name = name
        self.limit = limit
        self.limitReset = limitReset
        self.includeByokInLimit = includeByokInLimit
    }

    /// `{"name": …, "limit": 100, "limit_reset": "monthly"}`: the limit as an exact JSON number.
    func json() -> Data {
        var fields = [("name", JSONText.string(name)), ("limit", limit.map(JSONText.amount) ?? "null"),
                      ("limit_reset", limitReset.map(JSONText.string) ?? "null")]
        if let includeByokInLimit { fields.append(("include_byok_in_limit", includeByokInLimit ? "true" : "false")) }
        return JSONText.object(fields)
    }
}

/// The body of `PATCH /keys/{hash}`: only the fields set are sent; `.some(nil)` sends `null`.
public struct OpenRouterKeyPatch: Sendable, Equatable {
    public var name: String?
    public var disabled: Bool?
    public var limit: Money??
    public var limitReset: String??
    public var includeByokInLimit: Bool?

    public init(name: String? = nil, disabled: Bool? = nil, limit: Money?? = nil, limitReset: String?? = nil, includeByokInLimit: Bool? = nil) {
        self.name = name
        self.disabled = disabled
        self.limit = limit
        self.limitReset = limitReset
        self.includeByokInLimit = includeByokInLimit
    }

    func json() -> Data {
        var fields: [(String, String)] = []
        if let name { fields.append(("name", JSONText.string(name))) }
        if let disabled { fields.append(("disabled", disabled ? "true" : "false")) }
        if let limit { fields.append(("limit", limit.map(JSONText.amount) ?? "null")) }
        if let limitReset { fields.append(("limit_reset", limitReset.map(JSONText.string) ?? "null")) }
        if let includeByokInLimit { fields.append(("include_byok_in_limit", includeByokInLimit ? "true" : "false")) }
        return JSONText.object(fields)
    }
}

/// A key just created: its description and the secret, which OpenRouter shows only this once.
public struct CreatedOpenRouterKey: Sendable {
    public var key: OpenRouterKey
    /// The secret: handed straight to the agent, never stored or printed by maictl.
    public var secret: Secret
}

/// Small JSON writer for request bodies (amounts must be exact numbers, not floats).
enum JSONText {
    static func string(_ value: String) -> String {
        let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func amount(_ money: Money) -> String { money.decimalString }

    static func object(_ fields: [(String, String)]) -> Data {
        Data(("{" + fields.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}").utf8)
    }
}
