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
