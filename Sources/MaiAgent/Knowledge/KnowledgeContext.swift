import Foundation

/// What attaching files or collections to a chat message does: find the passages for the
/// question among what the employee may see, and put them into the prompt as numbered sources
/// within the model's context window.
struct KnowledgeContext: Sendable {
    let services: AgentServices

    /// Passages for `question` from the attached `items`, never from a file `userID` may not see.
    func retrieve(_ question: String, items: [AttachedItem], userID: String, settings: KnowledgeSettings,
                  topK: Int? = nil, mode: Retriever.Mode? = nil) async throws -> [RetrievedPassage] {
        for item in items where item.type != "file" && item.type != "collection" {
            throw APIError(.unprocessableContent, "An attached item's type must be 'file' or 'collection', not '\(item.type.prefix(20))'.")
        }
        let fileIDs = try await services.knowledge.store.visibleFileIDs(
            userID: userID, files: items.filter { $0.type == "file" }.map(\.id), collections: items.filter { $0.type == "collection" }.map(\.id)
        )
        return try await services.knowledge.retriever(settings).retrieve(question, fileIDs: fileIDs, topK: topK ?? settings.topK,
                                                                         threshold: settings.relevanceThreshold, mode: mode)
    }

    /// Characters of passages the prompt can take: the model's context length (tokens, ≈ 4
    /// characters each; 8,192 when unknown), less what the conversation already uses and 1,024
    /// tokens kept for the answer, and at most half of the window.
    static func budget(contextLength: Int?, conversationCharacters: Int) -> Int {
        let window = (contextLength ?? 8192) * 4
        let free = window - conversationCharacters - 1024 * 4
        return max(0, min(free, window / 2))
    }

    /// The numbered sources that fit into `budget` characters (the first one shortened if it alone does not).
    static func fit(_ passages: [RetrievedPassage], budget: Int) -> [Citation] {
        var citations: [Citation] = []
        var used = 0
        for passage in passages {
            var citation = Citation(index: citations.count + 1, passage)
            let cost = citation.text.count + citation.sourceLine.count + 16
            if used + cost > budget {
                guard citations.isEmpty, budget > 200 else { break }
                citation.text = String(citation.text.prefix(budget - citation.sourceLine.count - 20))
            }
            used += cost
            citations.append(citation)
        }
        return citations
    }

    /// The system message that carries the sources.
    static func instructions(_ citations: [Citation]) -> String {
        var text = """
            Answer the question using the numbered sources below from the company's documents. \
            Cite the sources you use with their numbers in square brackets, like [1]. \
            If the sources do not contain the answer, say so.

            """
        for citation in citations {
            text += "\n[\(citation.index)] \(citation.sourceLine)\n\(citation.text)\n"
        }
        return text
    }
}

extension CompletionService {
    /// Adds the attached knowledge to the plan: retrieves for the last user message, fits the
    /// passages into the model's window and puts them in a system message before that message.
    func addKnowledge(_ items: [AttachedItem], identity: Identity, plan: inout Plan) async throws {
        guard !items.isEmpty, let last = plan.request.messages.lastIndex(where: { $0.role == "user" }) else { return }
        let settings = try await services.knowledgeSettings()
        let found = try await KnowledgeContext(services: services).retrieve(plan.request.messages[last].content, items: items,
                                                                            userID: identity.user.id, settings: settings)
        let used = plan.request.messages.reduce(0) { $0 + $1.content.count }
        let citations = KnowledgeContext.fit(found, budget: KnowledgeContext.budget(contextLength: plan.entry.contextLength, conversationCharacters: used))
        guard !citations.isEmpty else { return }
        plan.request.messages.insert(ProviderChatRequest.Message(role: "system", content: KnowledgeContext.instructions(citations)), at: last)
        plan.sources = citations
        if let messageID = plan.assistantMessageID {
            let json = String(decoding: try JSONEncoder().encode(citations), as: UTF8.self)
            try await services.knowledge.store.saveSources(messageID: messageID, json: json)
        }
    }
}
