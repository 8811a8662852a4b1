import MaiCore
import MaiSimulators
import Testing

@Suite("Tokenizer, directives, money")
struct CommonTests {
    @Test func tokenizerCountsWordsAndPunctuation() {
        #expect(SimTokenizer.count("Hello, world!") == 4)
        #expect(SimTokenizer.count("  ") == 0)
        #expect(SimTokenizer.count("<img src=x onerror=alert(1)>") == 12)
        let text = "Hello,  world! It's 42."
        let pieces = SimTokenizer.pieces(text)
        #expect(pieces.joined() == text)
        #expect(pieces.count == SimTokenizer.count(text))
        #expect(pieces.allSatisfy { SimTokenizer.count($0) == 1 })
    }

    @Test func directivesAreParsedAndRemoved() {
        let (behavior, cleaned) = SimDirectives.parse("Tell me [[sim:tokens=5]] a story [[sim:reply=<b>hi]</b>]] [[sim:tps=0]][[sim:stall]]")
        #expect(behavior.tokens == 5)
        #expect(behavior.reply == "<b>hi]</b>")
        #expect(behavior.tps == 0)
        #expect(behavior.stall)
        #expect(cleaned == "Tell me  a story")
        #expect(SimDirectives.parse("[[sim:error=429]]").behavior.error == 429)
        #expect(SimDirectives.parse("[[sim:cut_after=3]] [[sim:latency_ms=70]] [[sim:midstream_error]]").behavior
            == SimBehavior(midstreamError: true, cutAfter: 3, latencyMs: 70))
    }

    @Test func replyIsDeterministicAndSized() {
        let behavior = SimBehavior(tokens: 12)
        let a = ReplyPlan(behavior: behavior, lastUserText: "What is the capital of France?", promptText: "x", maxTokens: nil, defaultTokens: 40)
        let b = ReplyPlan(behavior: behavior, lastUserText: "What is the capital of France?", promptText: "x", maxTokens: nil, defaultTokens: 40)
        #expect(a == b)
        #expect(a.text.hasPrefix("What is the capital of France?"))
        #expect(SimTokenizer.count(a.text) == 12)
        let capped = ReplyPlan(behavior: SimBehavior(), lastUserText: "hi", promptText: "hi", maxTokens: 7, defaultTokens: 40)
        #expect(capped.tokenCount == 7 && capped.truncated)
        #expect(SimTokenizer.count(ReplyPlan(behavior: SimBehavior(), lastUserText: "hi", promptText: "hi", maxTokens: nil, defaultTokens: 40).text) == 40)
    }

    @Test func moneyIsExact() {
        #expect(USDNanos(usd: "0.00000015")?.nanos == 150)
        #expect(USDNanos(usd: "0.0000000001") == nil)
        #expect((USDNanos(nanos: 150) * 10 + USDNanos(nanos: 600) * 3).decimalString == "0.0000033")
        #expect(USDNanos(nanos: 12_500_000_000).decimalString == "12.5")
        #expect(USDNanos.zero.decimalString == "0")
    }
}
