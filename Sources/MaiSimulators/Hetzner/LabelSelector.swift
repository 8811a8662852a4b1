import Foundation

/// A parsed `label_selector`: `k==v`, `k=v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`;
/// a comma (outside parentheses) is AND.
struct LabelSelector: Sendable, Equatable {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case absent(String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
    }

    let requirements: [Requirement]

    /// Nil when the text is not a selector.
    init?(_ text: String) {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        var requirements: [Requirement] = []
        for raw in parts {
            let part = raw.trimmingCharacters(in: .whitespaces)
            guard let requirement = Self.requirement(part) else { return nil }
            requirements.append(requirement)
        }
        self.requirements = requirements
    }

    private static func requirement(_ part: String) -> Requirement? {
        if part.isEmpty { return nil }
        for (keyword, isIn) in [(" notin ", false), (" in ", true)] {
            if let range = part.range(of: keyword) {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let rest = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard isKey(key), rest.hasPrefix("("), rest.hasSuffix(")") else { return nil }
                let values = Set(rest.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
                return isIn ? .isIn(key, values) : .notIn(key, values)
            }
        }
        for (op, negated) in [("!=", true), ("==", false), ("=", false)] {
            if let range = part.range(of: op) {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard isKey(key), !value.contains("=") else { return nil }
                return negated ? .notEquals(key, value) : .equals(key, value)
            }
        }
        if part.hasPrefix("!") {
            let key = String(part.dropFirst()).trimmingCharacters(in: .whitespaces)
            return isKey(key) ? .absent(key) : nil
        }
        return isKey(part) ? .exists(part) : nil
    }

    static func isKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 317 && key.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .exists(let key): labels[key] != nil
            case .absent(let key): labels[key] == nil
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            }
        }
    }
}
