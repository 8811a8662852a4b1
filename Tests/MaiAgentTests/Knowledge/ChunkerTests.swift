import Testing

@testable import MaiAgent

@Suite struct ChunkerTests {
    static let sentence = "The quick brown fox jumps over the lazy dog near the river bank today."

    @Test func passagesStayWithinSizeAndEndAtSentences() {
        let text = (0..<40).map { "Sentence \($0): \(Self.sentence)" }.joined(separator: " ")
        let chunks = Chunker(size: 300, overlap: 50).pack(text)
        #expect(chunks.count > 5)
        for chunk in chunks {
            #expect(chunk.count <= 300)
            #expect(chunk.hasSuffix("."), "ends at a sentence: \(chunk.suffix(20))")
        }
    }

    @Test func nextPassageRepeatsTheEndOfThePreviousOne() {
        let text = (0..<20).map { "Sentence \($0): \(Self.sentence)" }.joined(separator: " ")
        let chunks = Chunker(size: 300, overlap: 60).pack(text)
        for (previous, next) in zip(chunks, chunks.dropFirst()) {
            let carried = String(next.prefix(20))
            #expect(previous.contains(carried), "'\(carried)' carried over")
        }
    }

    @Test func paragraphsAreKeptTogetherWhenTheyFit() {
        let text = "First paragraph about holidays.\n\nSecond paragraph about payroll.\n\nThird paragraph about travel."
        #expect(Chunker(size: 1000, overlap: 100).pack(text) == ["First paragraph about holidays.\n\nSecond paragraph about payroll.\n\nThird paragraph about travel."])
    }

    @Test func longWordsAreCut() {
        let chunks = Chunker(size: 100, overlap: 0).pack(String(repeating: "x", count: 250))
        #expect(chunks.map(\.count) == [100, 100, 50])
    }

    /// A 4 MB word (one cell of a hostile CSV) is cut in one pass: it took 52 s when every cut asked
    /// the rest of the word for its length. What comes back is the word itself, in order.
    @Test func aFourMegabyteWordIsCutExactly() {
        let word = String((0..<(4 << 20)).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) })
        let chunks = Chunker(size: 1000, overlap: 0).pack("before " + word + " after")
        #expect(chunks.count == 1 + 4194 + 1, "\(chunks.count) passages: 'before', 4,194 cuts of 1,000, the rest with 'after'")
        #expect(chunks.allSatisfy { $0.count <= 1000 })
        #expect(chunks.joined().replacingOccurrences(of: " ", with: "") == "before" + word + "after", "the passages are the text in order")
    }

    @Test func passagesKeepTheirPage() {
        let document = ExtractedDocument(kind: .pdf, sections: [
            .init(unit: "page", number: 1, label: nil, text: "Cover page."),
            .init(unit: "page", number: 2, label: nil, text: String(repeating: "Refunds take thirty days. ", count: 60)),
        ])
        let chunks = Chunker(size: 500, overlap: 50).chunks(document)
        #expect(chunks.first?.number == 1)
        #expect(chunks.dropFirst().allSatisfy { $0.number == 2 && $0.unit == "page" })
        #expect(chunks.count >= 4)
    }
}
