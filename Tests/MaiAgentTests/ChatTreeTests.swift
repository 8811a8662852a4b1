import Foundation
import Testing

@testable import MaiAgent

/// The message tree as pure functions: children, the branch on screen, and what a new part of the
/// tree must satisfy.
@Suite("ChatTree")
struct ChatTreeTests {
    static func message(_ id: String, _ parent: String?, at time: Int64 = 100, role: ChatMessageRecord.Role = .user) -> ChatMessageRecord {
        ChatMessageRecord(id: id, chatID: "c", parentID: parent, role: role, content: "text of \(id)", model: nil,
                          status: .complete, error: nil, createdAt: time, updatedAt: time)
    }

    @Test("children are ordered by time, ties keep their order")
    func childrenOrder() {
        let messages = [
            Self.message("q", nil, at: 1),
            Self.message("late", "q", at: 30),
            Self.message("early", "q", at: 10),
            Self.message("tieA", "q", at: 20),
            Self.message("tieB", "q", at: 20),
        ]
        let children = ChatTree.childrenIDs(messages)
        #expect(children["q"] == ["early", "tieA", "tieB", "late"])
        #expect(children["late"] == nil)
    }

    @Test("the current branch runs from the root to the current message")
    func currentBranch() {
        let messages = [
            Self.message("q1", nil, at: 1), Self.message("a1", "q1", at: 2),
            Self.message("a1b", "q1", at: 3), Self.message("q2", "a1b", at: 4), Self.message("a2", "q2", at: 5),
        ]
        #expect(ChatTree.branch(endingAt: "a2", in: messages).map(\.id) == ["q1", "a1b", "q2", "a2"])
        #expect(ChatTree.branch(endingAt: "a1", in: messages).map(\.id) == ["q1", "a1"])
        #expect(ChatTree.branch(endingAt: "q1", in: messages).map(\.id) == ["q1"])
        #expect(ChatTree.branch(endingAt: "nope", in: messages).isEmpty)
        #expect(ChatTree.branch(endingAt: nil, in: messages).isEmpty)
        #expect(ChatTree.latestLeaf(messages) == "a2")
        #expect(ChatTree.latestLeaf([]) == nil)
    }

    @Test("a cycle in stored data ends the branch instead of looping")
    func branchSurvivesCycle() {
        let messages = [Self.message("a", "b"), Self.message("b", "a")]
        #expect(ChatTree.branch(endingAt: "a", in: messages).map(\.id) == ["b", "a"])
    }

    @Test("validation puts parents before children")
    func parentsFirst() throws {
        let messages = [Self.message("c", "b"), Self.message("b", "a"), Self.message("a", nil), Self.message("x", "old")]
        let ordered = try ChatTree.validated(messages, existing: ["old"]).map(\.id)
        #expect(Set(ordered) == ["a", "b", "c", "x"])
        #expect(ordered.firstIndex(of: "a")! < ordered.firstIndex(of: "b")!)
        #expect(ordered.firstIndex(of: "b")! < ordered.firstIndex(of: "c")!)
    }

    @Test("cycles are rejected", arguments: [
        [("a", "a")],
        [("a", "b"), ("b", "a")],
        [("root", nil), ("a", "c"), ("b", "a"), ("c", "b")],
    ] as [[(String, String?)]])
    func cycles(_ links: [(String, String?)]) {
        let messages = links.map { Self.message($0.0, $0.1) }
        #expect(throws: ChatError.self) { try ChatTree.validated(messages, existing: []) }
        do {
            _ = try ChatTree.validated(messages, existing: [])
        } catch let ChatError.invalidTree(reason) {
            #expect(reason.contains("cycle"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a missing parent, a duplicate or an existing id is rejected")
    func missingParent() {
        #expect(throws: ChatError.invalidTree("Message 'b' follows 'ghost', which is not a message of this chat.")) {
            try ChatTree.validated([Self.message("a", nil), Self.message("b", "ghost")], existing: ["other"])
        }
        #expect(throws: ChatError.self) { try ChatTree.validated([Self.message("a", nil), Self.message("a", nil)], existing: []) }
        #expect(throws: ChatError.self) { try ChatTree.validated([Self.message("a", nil)], existing: ["a"]) }
        #expect(throws: Never.self) { try ChatTree.validated([Self.message("b", "a")], existing: ["a"]) }
        #expect(throws: Never.self) { try ChatTree.validated([], existing: []) }
    }

    @Test("a long chain validates without deep recursion")
    func longChain() throws {
        let messages = (0..<10_000).map { Self.message("m\($0)", $0 == 0 ? nil : "m\($0 - 1)", at: Int64($0)) }
        let ordered = try ChatTree.validated(messages.reversed(), existing: [])
        #expect(ordered.map(\.id) == messages.map(\.id))
        #expect(ChatTree.branch(endingAt: "m9999", in: messages).count == 10_000)
    }

    /// Titles made from the first user message.
    @Suite("ChatTree titles")
    struct Titles {
        @Test("first line, markdown stripped, whitespace collapsed", arguments: [
            ("How do I bake bread?", "How do I bake bread?"),
            ("  # **Bake**   _bread_  \nsecond line", "Bake bread"),
            ("\n\n> quoted `code` here", "quoted code here"),
            ("- [the docs](https://example.com) say", "the docs say"),
            ("1. first step", "first step"),
            ("```swift\nlet x = 1\n```", "let x = 1"),
            ("![diagram](x.png) explain", "diagram explain"),
            ("", "New chat"),
            ("   \n ** \n", "New chat"),
        ])
        func plain(_ input: String, _ expected: String) {
            #expect(ChatTitle.make(from: input) == expected)
        }

        @Test("long lines are cut at a word boundary with an ellipsis")
        func long() {
            let text = "Please explain the differences between optimistic and pessimistic locking in databases"
            let title = ChatTitle.make(from: text)
            #expect(title.count <= 60)
            #expect(title.hasSuffix("…"))
            #expect(title == "Please explain the differences between optimistic and…")
            let word = String(repeating: "x", count: 100)
            #expect(ChatTitle.make(from: word) == String(repeating: "x", count: 59) + "…")
            let exact = String(repeating: "y", count: 60)
            #expect(ChatTitle.make(from: exact) == exact)
            #expect(ChatTitle.make(from: nil) == "New chat")
        }

        @Test("placeholders are recognised")
        func placeholders() {
            #expect(ChatTitle.isPlaceholder(nil))
            #expect(ChatTitle.isPlaceholder("  "))
            #expect(ChatTitle.isPlaceholder("New Chat"))
            #expect(!ChatTitle.isPlaceholder("Bread"))
        }
    }
}
