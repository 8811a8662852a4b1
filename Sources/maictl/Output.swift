import Foundation
import MaiCore

/// Human messages go to stderr; stdout carries results only.
enum Stderr {
    static func write(_ line: String) {
        StandardError.write(line + "\n")
    }
}

/// A result as maictl prints JSON: the admin API's encoding (snake_case, exact amounts), sorted,
/// indented, slashes unescaped.
func resultJSON<Value: Encodable>(_ value: Value) throws -> String {
    let encoder = AdminAPI.encoder
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
