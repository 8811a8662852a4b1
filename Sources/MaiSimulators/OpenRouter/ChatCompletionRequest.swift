/// The parts of an OpenAI-compatible chat completion request the simulator uses.
struct ChatCompletionRequest: Decodable, Sendable {
    struct Message: Decodable, Sendable {
        var role: String
        var content: MessageContent?
    }

    var model: String?
    var messages: [Message]?
    var stream: Bool?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var user: String?
    var sessionID: String?

    enum CodingKeys: String, CodingKey {
        case model, messages, stream, user
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case sessionID = "session_id"
    }

    /// The conversation's text as the simulators count it.
    var prompt: PromptText {
        let messages = self.messages ?? []
        let lastUser = messages.last { $0.role == "user" }?.content?.text ?? ""
        return PromptText(
            messages: messages.map { $0.content?.text ?? "" },
            lastUser: lastUser,
            mediaCount: messages.reduce(0) { $0 + ($1.content?.mediaCount ?? 0) })
    }
}
