/// The text parts of a conversation as a simulator sees them: every message's text (for the prompt
/// token count), the last user message (for directives and the echo), and media parts.
public struct PromptText: Sendable, Equatable {
    /// Every message's text, directives removed, in order (system first when separate).
    public var messages: [String]
    /// The last user message as sent, directives included.
    public var lastUser: String
    /// Image, audio or file parts in the prompt.
    public var mediaCount: Int

    public init(messages: [String], lastUser: String, mediaCount: Int = 0) {
        self.messages = messages
        self.lastUser = lastUser
        self.mediaCount = mediaCount
    }

    /// Directives in the last user message, and the prompt with every directive removed.
    public func resolved() -> (behavior: SimBehavior, lastUserText: String, promptText: String, promptTokens: Int) {
        let (behavior, lastUserText) = SimDirectives.parse(lastUser)
        let cleaned = messages.map { SimDirectives.parse($0).cleaned }
        let promptTokens = cleaned.reduce(0) { $0 + SimTokenizer.count($1) }
        return (behavior, lastUserText, cleaned.joined(separator: "\n"), promptTokens)
    }
}
