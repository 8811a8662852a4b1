import Foundation

/// A chat completion request: OpenAI's body, plus — on `/api/chat/completions` — where the
/// exchange goes in a saved chat.
struct CompletionForm: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String
        var content: Content?

        /// A string, or OpenAI's list of parts of which the text ones are used.
        enum Content: Decodable, Sendable {
            case text(String)
            case parts([Part])

            struct Part: Decodable, Sendable {
                var type: String
                var text: String?
            }

            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self = .text(text)
                } else {
                    self = .parts(try container.decode([Part].self))
                }
            }

            var text: String {
                switch self {
                case .text(let text): text
                case .parts(let parts): parts.compactMap { $0.type == "text" ? $0.text : nil }.joined(separator: "\n")
                }
            }
        }
    }

    var model: String
    var messages: [Message]?
    var stream: Bool?
    var temperature: JSONValue?
    var top_p: JSONValue?
    var max_tokens: JSONValue?
    var max_completion_tokens: JSONValue?
    var stop: JSONValue?
    var seed: JSONValue?
    var frequency_penalty: JSONValue?
    var presence_penalty: JSONValue?

    // Saved-chat fields (web UI).
    var chat_id: String?
    /// The message the new user message follows (`null` for the first one).
    var parent_id: String?
    /// Client-chosen ids for the new messages (kept when sane).
    var user_message_id: String?
    var assistant_message_id: String?
    /// Answer `parent_id` (a user message) again instead of adding a user message: a new branch.
    var regenerate: Bool?
    /// Files and knowledge collections to answer from (Open WebUI's `files: [{type, id}]`).
    var files: [AttachedItem]?

    /// Sampling options to pass to the provider.
    var options: [String: JSONValue] {
        var options: [String: JSONValue] = [:]
        if let temperature { options["temperature"] = temperature }
        if let top_p { options["top_p"] = top_p }
        if let value = max_tokens ?? max_completion_tokens { options["max_tokens"] = value }
        if let stop { options["stop"] = stop }
        if let seed { options["seed"] = seed }
        if let frequency_penalty { options["frequency_penalty"] = frequency_penalty }
        if let presence_penalty { options["presence_penalty"] = presence_penalty }
        return options
    }

    /// Checks what the provider would reject in a less helpful way.
    func validate() throws {
        guard !model.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError(.badRequest, "Choose a model: 'model' must not be empty.")
        }
        for message in messages ?? [] where !["system", "user", "assistant", "developer"].contains(message.role) {
            throw APIError(.unprocessableContent, "Message role '\(message.role.prefix(20))' is not supported; use system, user or assistant.")
        }
        if chat_id == nil, (messages ?? []).isEmpty {
            throw APIError(.badRequest, "Send at least one message in 'messages'.")
        }
    }
}
