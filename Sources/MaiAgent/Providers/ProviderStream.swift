/// Runs `body` in a task that feeds an `AsyncThrowingStream`; the task is cancelled when the
/// consumer stops listening (a client that goes away cancels its upstream request).
func providerStream(
    _ body: @escaping @Sendable (AsyncThrowingStream<ProviderEvent, any Error>.Continuation) async throws -> Void
) -> AsyncThrowingStream<ProviderEvent, any Error> {
    AsyncThrowingStream(bufferingPolicy: .unbounded) { continuation in
        let task = Task {
            do {
                try await body(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}
