/// A message `content` in any of the shapes the providers accept: a string, or an array of parts
/// (`{type: "text", text}`, `{text}`, image/audio/file parts).
struct MessageContent: Decodable, Sendable {
    var text: String
    var mediaCount: Int

    private struct Part: Decodable {
        var type: String?
        var text: String?
        var thought: Bool?
    }

    init(text: String = "", mediaCount: Int = 0) {
        self.text = text
        self.mediaCount = mediaCount
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self.init()
        } else if let text = try? container.decode(String.self) {
            self.init(text: text)
        } else {
            let parts = try container.decode([Part].self)
            let texts = parts.compactMap { $0.thought == true ? nil : $0.text }
            let media = parts.filter { $0.text == nil && $0.type != nil && $0.type != "text" }.count
            self.init(text: texts.joined(separator: "\n"), mediaCount: media)
        }
    }
}
