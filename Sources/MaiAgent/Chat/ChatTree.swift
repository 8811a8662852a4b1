/// The message tree of a chat, as pure functions over its records: who answers whom
/// (Open WebUI's `parentId`/`childrenIds`), the branch on screen, and the checks a new part of the
/// tree must pass before it is stored.
enum ChatTree {
    /// The ids of each message's children, oldest first (ties keep the order of `messages`).
    /// Messages without children have no entry.
    static func childrenIDs(_ messages: [ChatMessageRecord]) -> [String: [String]] {
        var children: [String: [String]] = [:]
        for message in oldestFirst(messages) {
            if let parent = message.parentID { children[parent, default: []].append(message.id) }
        }
        return children
    }

    /// The branch that ends at `currentID`, from its root down to it; empty when `currentID` is
    /// `nil` or not a message of `messages`.
    static func branch(endingAt currentID: String?, in messages: [ChatMessageRecord]) -> [ChatMessageRecord] {
        let byID = Dictionary(messages.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var branch: [ChatMessageRecord] = []
        var seen: Set<String> = []
        var next = currentID
        // `seen` guards against a cycle in stored data: the walk stops rather than loops.
        while let id = next, let message = byID[id], seen.insert(id).inserted {
            branch.append(message)
            next = message.parentID
        }
        return branch.reversed()
    }

    /// The most recent message that nothing answers yet: where a chat without a chosen branch ends.
    static func latestLeaf(_ messages: [ChatMessageRecord]) -> String? {
        let parents = Set(messages.compactMap(\.parentID))
        return oldestFirst(messages).last { !parents.contains($0.id) }?.id
    }

    /// Checks that `new` can join a chat whose messages have the ids `existing`: ids unique and not
    /// taken, every parent in the chat or in `new`, no cycle. Returns `new` with parents before
    /// their children, the order to store them in.
    /// - Throws: `ChatError.invalidTree` naming the first offending message.
    static func validated(_ new: [ChatMessageRecord], existing: Set<String>) throws -> [ChatMessageRecord] {
        var byID: [String: ChatMessageRecord] = [:]
        for message in new {
            if existing.contains(message.id) {
                throw ChatError.invalidTree("Message '\(message.id)' already exists in this chat.")
            }
            if byID.updateValue(message, forKey: message.id) != nil {
                throw ChatError.invalidTree("Message id '\(message.id)' is used twice.")
            }
        }
        for message in new {
            if let parent = message.parentID, byID[parent] == nil, !existing.contains(parent) {
                throw ChatError.invalidTree("Message '\(message.id)' follows '\(parent)', which is not a message of this chat.")
            }
        }
        // Walk up from each message until a root, an existing message or a message already placed;
        // meeting the walk's own path again is a cycle. Each message is walked once: O(n).
        var ordered: [ChatMessageRecord] = []
        ordered.reserveCapacity(new.count)
        var placed: Set<String> = []
        for message in new where !placed.contains(message.id) {
            var path: [ChatMessageRecord] = []
            var onPath: Set<String> = []
            var cursor: ChatMessageRecord? = message
            while let current = cursor, !placed.contains(current.id) {
                guard onPath.insert(current.id).inserted else {
                    throw ChatError.invalidTree("Message '\(current.id)' is its own ancestor: the parent links form a cycle.")
                }
                path.append(current)
                cursor = current.parentID.flatMap { byID[$0] }
            }
            for member in path.reversed() {
                ordered.append(member)
                placed.insert(member.id)
            }
        }
        return ordered
    }

    /// `messages` by creation time; equal times keep their order in `messages`.
    static func oldestFirst(_ messages: [ChatMessageRecord]) -> [ChatMessageRecord] {
        messages.enumerated()
            .sorted { ($0.element.createdAt, $0.offset) < ($1.element.createdAt, $1.offset) }
            .map(\.element)
    }
}
