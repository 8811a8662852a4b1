/// What a simulator should do for one request: the per-key behaviour merged with the directives in
/// the last user message (directives win).
public struct SimBehavior: Sendable, Equatable, Codable {
    /// Fail before the first token with this HTTP status (401, 402, 429, 500, 502, 503, …).
    public var error: Int?
    /// Send some content, then an error chunk, then end.
    public var midstreamError: Bool
    /// Close the connection abruptly after this many content chunks.
    public var cutAfter: Int?
    /// Send the opening chunk, then nothing until the client goes away.
    public var stall: Bool
    /// Time to first token, in milliseconds.
    public var latencyMs: Int?
    /// Time until the response head (and `X-Generation-Id`), in milliseconds; the prompt is charged
    /// from the start, so a client gone before the head leaves a charge it cannot name.
    public var headLatencyMs: Int?
    /// Tokens per second (one token per chunk); `0` means no pacing at all.
    public var tps: Double?
    /// The exact answer text.
    public var reply: String?
    /// The answer length in tokens.
    public var tokens: Int?

    public init(
        error: Int? = nil, midstreamError: Bool = false, cutAfter: Int? = nil, stall: Bool = false,
        latencyMs: Int? = nil, tps: Double? = nil, reply: String? = nil, tokens: Int? = nil, headLatencyMs: Int? = nil
    ) {
        self.error = error
        self.midstreamError = midstreamError
        self.cutAfter = cutAfter
        self.stall = stall
        self.latencyMs = latencyMs
        self.headLatencyMs = headLatencyMs
        self.tps = tps
        self.reply = reply
        self.tokens = tokens
    }

    /// `self` with every field that `overrides` sets replaced.
    public func merged(with overrides: SimBehavior) -> SimBehavior {
        SimBehavior(
            error: overrides.error ?? error,
            midstreamError: overrides.midstreamError || midstreamError,
            cutAfter: overrides.cutAfter ?? cutAfter,
            stall: overrides.stall || stall,
            latencyMs: overrides.latencyMs ?? latencyMs,
            tps: overrides.tps ?? tps,
            reply: overrides.reply ?? reply,
            tokens: overrides.tokens ?? tokens,
            headLatencyMs: overrides.headLatencyMs ?? headLatencyMs
        )
    }

    /// The pause between two content chunks: `1/tps` when `tps` is set (none for `tps=0`), else
    /// `defaultDelay`.
    public func chunkDelay(default defaultDelay: Duration) -> Duration {
        guard let tps else { return defaultDelay }
        guard tps > 0 else { return .zero }
        return .nanoseconds(Int64(1_000_000_000 / tps))
    }
}
