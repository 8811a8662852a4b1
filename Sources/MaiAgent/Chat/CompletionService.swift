import Crypto
import Foundation
import Logging
import MaiCore

/// Runs one chat completion: picks the connection for the model, builds the context (from the
/// saved chat when there is one), streams the provider's answer to `emit`, then saves the answer
/// and records the generation — whatever way the stream ended.
struct CompletionService: Sendable {
    let services: AgentServices

    /// Everything decided before the first upstream byte.
    struct Plan: Sendable {
        var entry: ModelCatalog.Entry
        var connection: Connection
        var request: ProviderChatRequest
        var chatID: String?
        var userMessageID: String?
        var assistantMessageID: String?
        /// Counts this completion under its OpenRouter key until it is booked.
        var lease: InFlightCompletions.Lease?
        /// Passages retrieved from attached files or collections, cited as [1], [2], …
        var sources: [Citation] = []
        /// The `generations` row, written the moment the request leaves (before any id is known).
        var generationID = UUID().uuidString.lowercased()
        /// The budget this request holds until its real cost is booked.
        var hold: BudgetHold?
    }

    /// How a completion ended, for the caller's final answer.
    struct Outcome: Sendable {
        var text: String
        var finishReason: String
        var usage: TokenUsage?
        var upstreamID: String?
        var failure: ProviderError?
        var clientGone: Bool
    }

    func plan(_ form: CompletionForm, identity: Identity, savesChat: Bool) async throws -> Plan {
        try form.validate()
        let connections = try await services.connections.enabled()
        guard !connections.isEmpty else {
            throw APIError(.serviceUnavailable, "No model provider is connected yet. An administrator can add one under Settings → Connections.")
        }
        let entries = await services.catalog.entries(for: connections, providers: services.providerFactory)
        guard let entry = entries.first(where: { $0.id == form.model }) else {
            throw APIError(.notFound, "The model '\(form.model.prefix(120))' is not available here. Pick one from GET /api/models.")
        }
        if try await services.modelSettings().hidden.contains(entry.id), identity.user.role != .admin {
            throw APIError(.notFound, "The model '\(form.model.prefix(120))' is not available here. Pick one from GET /api/models.")
        }
        let connection = connections.first { $0.id == entry.connectionID }!
        // A budget already used up refuses before anything is saved into the chat.
        try await services.budgets.check(userID: identity.user.id, now: services.clock.now)
        var request = ProviderChatRequest(model: entry.upstreamID, messages: [], options: form.options)
        if connection.kind == .openrouter {
            request.user = Self.externalUser(instance: services.config.instance, userID: identity.user.id)
        }
        var plan = Plan(entry: entry, connection: connection, request: request)
        if connection.kind == .openrouter, let key = connection.apiKey {
            plan.lease = services.inFlight.begin(hash: TokenService.sha256Hex(key.value))
        }
        if savesChat, let chatID = form.chat_id {
            try await placeInChat(form, chatID: chatID, identity: identity, plan: &plan)
        } else {
            plan.request.messages = (form.messages ?? []).map {
                ProviderChatRequest.Message(role: $0.role == "developer" ? "system" : $0.role, content: $0.content?.text ?? "")
            }
        }
        try await addKnowledge(form.files ?? [], identity: identity, plan: &plan)
        do {
            try await reserveBudget(identity: identity, plan: &plan)
        } catch {
            await finishMessage(plan, text: "", status: .error, error: (error as? APIError)?.detail ?? "\(error)")
            throw error
        }
        return plan
    }

    /// Holds the request's worst case against the budgets (lowering `max_tokens` when the budget
    /// left cannot pay for more).
    private func reserveBudget(identity: Identity, plan: inout Plan) async throws {
        let requested: Int? = switch plan.request.options["max_tokens"] {
        case .integer(let value)?: Int(clamping: value)
        case .number(let value)?: value.isFinite && value >= 0 && value < 1e12 ? Int(value) : nil
        default: nil
        }
        let ceiling = RequestCeiling(
            promptTokens: RequestCeiling.promptBound(plan.request.messages.map(\.content)),
            promptPrice: plan.entry.promptPrice.flatMap { Decimal(string: $0) },
            completionPrice: plan.entry.completionPrice.flatMap { Decimal(string: $0) },
            requestedMaxTokens: requested, contextLength: plan.entry.contextLength
        )
        let reservation = try await services.budgetGate.reserve(userID: identity.user.id, ceiling: ceiling, now: services.clock.now)
        if reservation.amount > .zero { plan.hold = BudgetHold(gate: services.budgetGate, id: reservation.id) }
        if let cap = reservation.maxTokens, cap != requested { plan.request.options["max_tokens"] = .integer(Int64(cap)) }
    }

    /// Adds the user message (unless regenerating), the assistant placeholder, and builds the
    /// context from the saved branch — not from what the client sent.
    private func placeInChat(_ form: CompletionForm, chatID: String, identity: Identity, plan: inout Plan) async throws {
        let userID = identity.user.id
        guard let (chat, messages) = try await services.chats.find(id: chatID, userID: userID) else {
            throw APIError(.notFound, "No such chat.")
        }
        let now = services.clock.seconds
        let userMessageID: String
        if form.regenerate == true {
            guard let parent = form.parent_id, let message = messages.first(where: { $0.id == parent }), message.role == .user else {
                throw APIError(.badRequest, "To regenerate, send parent_id: the id of the user message to answer again.")
            }
            userMessageID = message.id
        } else {
            guard let content = form.messages?.last(where: { $0.role == "user" })?.content?.text,
                  !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            else {
                throw APIError(.badRequest, "Send the new message as the last entry of 'messages' (role user).")
            }
            if let parent = form.parent_id, !messages.contains(where: { $0.id == parent }) {
                throw APIError(.badRequest, "parent_id is not a message of this chat.")
            }
            userMessageID = try await appendWithUniqueID(
                ChatMessageRecord(id: Self.sane(form.user_message_id) ?? UUID().uuidString.lowercased(), chatID: chatID, parentID: form.parent_id,
                                  role: .user, content: content, model: nil, status: .complete, error: nil, createdAt: now, updatedAt: now),
                userID: userID)
            if ChatTitle.isPlaceholder(chat.title), !messages.contains(where: { $0.role == .user }) {
                _ = try await services.chats.update(id: chatID, userID: userID, now: now) { $0.title = ChatTitle.make(from: content) }
            }
        }
        let all = try await services.chats.find(id: chatID, userID: userID)?.messages ?? []
        let branch = ChatTree.branch(endingAt: userMessageID, in: all)
        plan.request.messages = branch.map { ProviderChatRequest.Message(role: $0.role.rawValue, content: $0.content) }
        let requestedAssistantID = Self.sane(form.assistant_message_id).flatMap { id in all.contains { $0.id == id } ? nil : id }
        let assistantID = try await appendWithUniqueID(
            ChatMessageRecord(id: requestedAssistantID ?? UUID().uuidString.lowercased(), chatID: chatID, parentID: userMessageID, role: .assistant,
                              content: "", model: plan.entry.id, status: .streaming, error: nil, createdAt: now, updatedAt: now),
            userID: userID)
        plan.chatID = chatID
        plan.userMessageID = userMessageID
        plan.assistantMessageID = assistantID
        plan.request.sessionID = chatID
    }

    /// Appends `message` and returns its id. Message ids are unique across every chat, so an id a
    /// client chose that is taken (by any chat, anyone's) is replaced by a fresh one — never a 500,
    /// never a half-saved exchange. Other refusals become the chat API's answers.
    private func appendWithUniqueID(_ message: ChatMessageRecord, userID: String) async throws -> String {
        do {
            try await services.chats.append(message, userID: userID)
            return message.id
        } catch ChatError.invalidTree {
            var fresh = message
            fresh.id = UUID().uuidString.lowercased()
            try await ChatsController.translating { try await services.chats.append(fresh, userID: userID) }
            return fresh.id
        } catch let error as ChatError {
            throw ChatsController.apiError(for: error)
        }
    }

    /// Starts the upstream call. The request's `generations` row is written first, so a cancel, a
    /// crash or a cut at any later point leaves something to settle; OpenRouter's `X-Generation-Id`
    /// names it as soon as the response head arrives. Errors before the first token are thrown as
    /// `ProviderError`; the chat's placeholder answer is then marked as an error, and a request
    /// the provider answered with an error is booked as refused (nothing spent).
    func start(_ plan: Plan, identity: Identity, streamed: Bool) async throws -> AsyncThrowingStream<ProviderEvent, any Error> {
        let started = ContinuousClock.now
        var early = generationRecord(id: plan.generationID, plan, identity: identity,
                                     outcome: Outcome(text: "", finishReason: "streaming", usage: nil, upstreamID: nil, failure: nil, clientGone: false),
                                     streamed: streamed, started: started, firstToken: nil, finishReason: "streaming")
        // Not due for confirmation while it streams: the final save makes it due.
        early.nextAttemptAt = early.createdAt + 900
        do {
            try await services.generations.insert(early)
        } catch {
            services.logger.error("cannot record generation", metadata: ["mai.generation": .string(plan.generationID), "error": "\(error)"])
            await settle(plan, text: "", status: .error, error: "The agent cannot record usage right now.") {}
            throw APIError(.serviceUnavailable, "The agent cannot record usage right now, so the request was not sent. Try again shortly.")
        }
        let booked = early
        var request = plan.request
        let generations = services.generations
        let generationID = plan.generationID
        request.onNamed = { upstreamID in try? await generations.named(id: generationID, upstreamID: upstreamID) }
        do {
            return try await services.providerFactory.provider(for: plan.connection).stream(request)
        } catch let error as ProviderError {
            await settle(plan, text: "", status: .error, error: error.message) {
                if error.answered {
                    try? await generations.refused(id: generationID, reason: "\(error.status): \(error.message)")
                } else {
                    // No answer (network, timeout): it may have reached the provider.
                    var failed = booked
                    failed.finishReason = "error"
                    failed.nextAttemptAt = 0
                    try? await generations.save(failed)
                }
            }
            throw error
        } catch {
            // Cancelled while waiting for the response head: it may have reached the provider.
            await settle(plan, text: "", status: .error, error: "Stopped before the answer began.") {
                var cancelled = booked
                cancelled.finishReason = "cancelled"
                cancelled.nextAttemptAt = 0
                try? await generations.save(cancelled)
            }
            throw error
        }
    }

    /// Saves the chat's answer and books, outside the current task (a client that went away
    /// cancelled it, and the books must be kept all the same), then releases the budget hold.
    private func settle(_ plan: Plan, text: String, status: ChatMessageRecord.Status, error: String?, book: @escaping @Sendable () async -> Void) async {
        let service = self
        await Task {
            await service.finishMessage(plan, text: text, status: status, error: error)
            await book()
            await plan.hold?.end()
            plan.lease?.end()
        }.value
    }

    /// Relays `stream` to `emit` until it ends, the provider fails, or `emit` throws (the client
    /// went away — the upstream request is then cancelled). Saves and records in every case.
    func relay(_ plan: Plan, identity: Identity, stream: AsyncThrowingStream<ProviderEvent, any Error>, streamed: Bool,
               emit: (ProviderEvent) async throws -> Void) async -> Outcome {
        let started = ContinuousClock.now
        let generationID = plan.generationID
        var firstToken: Duration?
        var outcome = Outcome(text: "", finishReason: "stop", usage: nil, upstreamID: nil, failure: nil, clientGone: false)
        var finished = false
        var booking: Task<Void, Never>?
        do {
            for try await event in stream {
                switch event {
                case .started(let id, _):
                    outcome.upstreamID = id
                    if booking == nil, let id {
                        // Named by the first chunk (providers without `X-Generation-Id`): if this
                        // process dies mid-answer, the row can still be confirmed.
                        let generations = services.generations
                        booking = Task { try? await generations.named(id: generationID, upstreamID: id) }
                    }
                case .text(let text):
                    if firstToken == nil { firstToken = ContinuousClock.now - started }
                    outcome.text += text
                case .usage(let usage): outcome.usage = usage
                case .finished(let reason):
                    outcome.finishReason = reason
                    finished = true
                case .failed(let error):
                    outcome.failure = error
                    outcome.finishReason = "error"
                }
                do {
                    try await emit(event)
                } catch {
                    outcome.clientGone = true
                    break
                }
            }
        } catch let error as ProviderError {
            outcome.failure = error
            outcome.finishReason = "error"
        } catch {
            outcome.failure = ProviderError(status: 502, message: "The answer stopped unexpectedly.", kind: "network")
            outcome.finishReason = "error"
        }
        if Task.isCancelled { outcome.clientGone = true }
        if outcome.clientGone {
            outcome.finishReason = "cancelled"
        } else if !finished, outcome.failure == nil {
            outcome.failure = ProviderError(status: 502, message: "The provider ended the answer before it was complete.", kind: "network")
            outcome.finishReason = "error"
        }
        let status: ChatMessageRecord.Status = outcome.failure == nil && !outcome.clientGone ? .complete : (outcome.text.isEmpty && outcome.failure != nil ? .error : .interrupted)
        let finalOutcome = outcome
        let firstTokenTime = firstToken
        // Saved outside this task: a client that went away cancelled it, and the answer and its
        // cost must be kept all the same.
        let earlyBooking = booking
        let service = self
        await settle(plan, text: finalOutcome.text, status: status,
                     error: finalOutcome.failure?.message ?? (finalOutcome.clientGone ? "Stopped before the answer was complete." : nil)) {
            await earlyBooking?.value
            await service.record(id: generationID, plan, identity: identity, outcome: finalOutcome, streamed: streamed, started: started, firstToken: firstTokenTime)
        }
        return outcome
    }

    func finishMessage(_ plan: Plan, text: String, status: ChatMessageRecord.Status, error: String?) async {
        guard let chatID = plan.chatID, let messageID = plan.assistantMessageID else { return }
        do {
            try await services.chats.updateMessage(id: messageID, chatID: chatID, content: text, status: status, error: error, now: services.clock.seconds)
        } catch {
            services.logger.error("cannot save answer", metadata: ["mai.chat": .string(chatID), "error": "\(error)"])
        }
    }

    /// Writes the generation's final figures over the row booked when the request left.
    private func record(id: String, _ plan: Plan, identity: Identity, outcome: Outcome, streamed: Bool, started: ContinuousClock.Instant, firstToken: Duration?) async {
        let record = generationRecord(id: id, plan, identity: identity, outcome: outcome, streamed: streamed, started: started,
                                      firstToken: firstToken, finishReason: outcome.finishReason)
        do {
            try await services.generations.save(record)
        } catch {
            services.logger.error("cannot record generation", metadata: ["mai.generation": .string(outcome.upstreamID ?? record.id), "error": "\(error)"])
        }
    }

    private func generationRecord(id: String, _ plan: Plan, identity: Identity, outcome: Outcome, streamed: Bool,
                                  started: ContinuousClock.Instant, firstToken: Duration?, finishReason: String) -> GenerationRecord {
        let estimatedPrompt = plan.request.messages.reduce(0) { $0 + Self.estimateTokens($1.content) }
        return GenerationRecord(
            id: id, upstreamID: outcome.upstreamID, userID: identity.user.id,
            externalUser: plan.request.user, chatID: plan.chatID, messageID: plan.assistantMessageID,
            connectionID: plan.connection.id, provider: plan.connection.kind.rawValue, model: plan.entry.upstreamID,
            promptTokens: outcome.usage?.promptTokens ?? estimatedPrompt,
            completionTokens: outcome.usage?.completionTokens ?? Self.estimateTokens(outcome.text),
            tokensEstimated: outcome.usage == nil, reportedCostNanos: outcome.usage?.reportedCost?.nanos,
            status: Self.initialStatus(plan: plan, outcome: outcome).rawValue, finishReason: finishReason, streamed: streamed,
            firstTokenMs: firstToken.map(Self.milliseconds),
            durationMs: Self.milliseconds(ContinuousClock.now - started), createdAt: services.clock.seconds,
            keyHash: plan.connection.kind == .openrouter ? plan.connection.apiKey.map { TokenService.sha256Hex($0.value) } : nil,
            estimatedCostNanos: Self.estimatedCost(plan.entry, prompt: outcome.usage?.promptTokens ?? estimatedPrompt,
                                                   completion: outcome.usage?.completionTokens ?? Self.estimateTokens(outcome.text))?.nanos
        )
    }

    /// `<instance>_user_<first 8 hex of sha256(user id)>`: stable per employee, meaningless outside.
    static func externalUser(instance: String, userID: String) -> String {
        let digest = SHA256.hash(data: Data(userID.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        return "\(instance)_user_\(digest)"
    }

    /// OpenRouter rows wait for confirmation (if OpenRouter gave an id to confirm); others are
    /// estimates. A row still streaming awaits its name (it comes with the response head), so it is
    /// provisional: a row a crash leaves behind is plainly still to confirm at the restart.
    static func initialStatus(plan: Plan, outcome: Outcome) -> GenerationStatus {
        guard plan.connection.kind == .openrouter else { return .estimated }
        return outcome.upstreamID == nil && outcome.finishReason != "streaming" ? .unverified : .provisional
    }

    /// Tokens × the model's listed per-token prices, exact, or `nil` without prices.
    static func estimatedCost(_ entry: ModelCatalog.Entry, prompt: Int, completion: Int) -> Money? {
        guard let promptPrice = entry.promptPrice.flatMap({ Decimal(string: $0) }),
              let completionPrice = entry.completionPrice.flatMap({ Decimal(string: $0) })
        else { return nil }
        return Money(promptPrice * Decimal(prompt) + completionPrice * Decimal(completion))
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }

    /// A rough count (≈ 4 characters a token) for providers that report none.
    static func estimateTokens(_ text: String) -> Int {
        text.isEmpty ? 0 : max(1, (text.utf8.count + 3) / 4)
    }

    static func sane(_ id: String?) -> String? {
        guard let id, (1...64).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        return id
    }
}
