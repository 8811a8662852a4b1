import Foundation

/// The admin's choices about models: the default one and the hidden ones (stored settings).
struct ModelSettings: Sendable, Equatable {
    static let defaultKey = "DEFAULT_MODELS"
    static let hiddenKey = "HIDDEN_MODELS"

    var defaultModel: String?
    var hidden: Set<String>

    init(stored: [String: String]) {
        defaultModel = stored[Self.defaultKey].flatMap { $0.isEmpty ? nil : $0 }
        let list = stored[Self.hiddenKey].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        hidden = Set(list)
    }
}

extension AgentServices {
    func modelSettings() async throws -> ModelSettings {
        ModelSettings(stored: try await settings.repository.storedValues())
    }
}
