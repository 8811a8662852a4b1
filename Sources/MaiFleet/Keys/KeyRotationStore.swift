import Foundation
import MaiCore

/// Reads and writes a client's rotation journal and key history in maictl's state directory
/// (`instances/<slug>/key-rotation`, `instances/<slug>/openrouter-keys`; JSON, 0600, atomic).
public struct KeyRotationStore: Sendable {
    public let state: StateDirectory

    public init(state: StateDirectory) {
        self.state = state
    }

    static let journalName = "key-rotation"
    static let historyName = "openrouter-keys"

    public func journal(_ client: String) throws -> KeyRotationJournal? {
        try read(KeyRotationJournal.self, name: Self.journalName, client: client)
    }

    public func save(_ journal: KeyRotationJournal) throws {
        try write(journal, name: Self.journalName, client: journal.client)
    }

    public func history(_ client: String) throws -> KeyHistory {
        try read(KeyHistory.self, name: Self.historyName, client: client) ?? KeyHistory()
    }

    public func save(_ history: KeyHistory, client: String) throws {
        try write(history, name: Self.historyName, client: client)
    }

    private func read<Value: Decodable>(_ type: Value.Type, name: String, client: String) throws -> Value? {
        guard let text = try state.readSecret(name, instance: client) else { return nil }
        do {
            return try AdminAPI.decoder.decode(Value.self, from: Data(text.value.utf8))
        } catch {
            throw StateError.io(path: "instances/\(client)/\(name)", reason: "is not readable JSON (\(error)); move it aside and run again")
        }
    }

    private func write(_ value: some Encodable, name: String, client: String) throws {
        let encoder = AdminAPI.encoder
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try state.writeSecret(Secret(String(decoding: try encoder.encode(value), as: UTF8.self)), name: name, instance: client)
    }
}
