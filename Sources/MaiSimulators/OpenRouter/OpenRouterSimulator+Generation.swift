import Foundation
import Hummingbird

extension OpenRouterSimulator {
    /// How long the key behind `request` wants each lookup to take, if set.
    func generationLatency(_ request: Request) throws -> Duration? {
        let key = try authenticate(request)
        return key.behavior.generationLatencyMs.map { .milliseconds($0) }
    }

    /// `GET /api/v1/generation?id=`: 404 until the key's generation delay has passed since the
    /// generation finished, then its stats. Only the key that made it, or a management key, may read it.
    func generation(_ request: Request) throws -> Response {
        let key = try authenticate(request)
        if key.disabled { throw OpenRouterError.disabledKey }
        guard let id = SimulatorResponses.query(request, "id"), !id.isEmpty else {
            throw OpenRouterError(400, "Missing query parameter \"id\": pass the generation id (gen-…) from the completion.")
        }
        guard let record = generation(id: id), key.isManagement || record.keyHash == key.hash else {
            throw OpenRouterError.generationNotFound
        }
        let (owner, fault) = store.withLock { ($0.keys[record.keyHash], $0.faults.generationError) }
        if let code = fault ?? owner?.behavior.generationError {
            throw OpenRouterError.simulated(code, retryAfterSeconds: configuration.retryAfterSeconds, now: Int64(clock.now.timeIntervalSince1970), model: nil)
        }
        let delay = owner?.behavior.generationDelayMs.map { Duration.milliseconds($0) } ?? configuration.generationDelay
        let visibleAt = record.finishedAt.addingTimeInterval(Double(OpenRouterSimulator.milliseconds(delay)) / 1000)
        guard clock.now >= visibleAt else { throw OpenRouterError.generationNotFound }
        return SimulatorResponses.json(.object([("data", record.generationJSON(forms: configuration.costForms))]))
    }
}
