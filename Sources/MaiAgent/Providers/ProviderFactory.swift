import AsyncHTTPClient

/// Makes the `ChatProvider` for a connection. Tests and benchmarks point connections at the
/// simulators; nothing else differs.
struct ProviderFactory: Sendable {
    let http: UpstreamHTTP
    /// Sent to OpenRouter for app attribution.
    var referer: String?
    var title: String

    func provider(for connection: Connection) -> any ChatProvider {
        let key = connection.apiKey?.value
        switch connection.kind {
        case .anthropic:
            return AnthropicProvider(http: http, baseURL: connection.baseURL, apiKey: key ?? "")
        case .gemini:
            return GeminiProvider(http: http, baseURL: connection.baseURL, apiKey: key ?? "")
        case .openrouter:
            var headers = [("X-Title", title)]
            if let referer { headers.append(("HTTP-Referer", referer)) }
            return OpenAICompatibleProvider(http: http, baseURL: connection.baseURL, apiKey: key, isOpenRouter: true, extraHeaders: headers)
        case .openai, .ollama, .custom:
            return OpenAICompatibleProvider(http: http, baseURL: connection.baseURL, apiKey: key, isOpenRouter: false)
        }
    }
}
