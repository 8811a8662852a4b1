import Foundation
import Hummingbird

/// The body of `POST /__sim/keys`.
struct ControlKeyRequest: Decodable {
    var key: String
    var behavior: KeyBehavior?
}

extension OpenRouterSimulator {
    /// `POST /__sim/keys` `{key, behavior}`: registers a key and its behaviour; answers `{hash}`.
    func controlRegisterKey(_ incoming: Request) async throws -> Response {
        var request = incoming
        let buffer = try await request.collectBody(upTo: 1024 * 1024)
        let body: ControlKeyRequest
        do {
            body = try JSONDecoder().decode(ControlKeyRequest.self, from: Data(buffer: buffer))
        } catch {
            throw OpenRouterError(400, "Send {\"key\": \"sk-or-…\", \"behavior\": {error?, latency_ms?, tps?, generation_delay_ms?, management?, disabled?, limit?, name?}} (\(error.localizedDescription)).")
        }
        let hash = registerKey(body.key, behavior: body.behavior ?? KeyBehavior())
        return SimulatorResponses.json(.object([("hash", .string(hash))]), status: .created)
    }

    /// `GET /__sim/generations`: every generation served, oldest first.
    func controlGenerations() -> Response {
        SimulatorResponses.json(.object([("data", .array(generations.map(\.controlJSON)))]))
    }

    /// `GET /__sim/running`: completions started and not yet recorded (`id`, `key_hash`, `model`,
    /// `stream`), by id.
    func controlRunning() -> Response {
        let running = store.withLock { $0.running }.sorted { $0.key < $1.key }
        return SimulatorResponses.json(.object([("data", .array(running.map { id, run in
            .object([("id", .string(id)), ("key_hash", .string(run.keyHash)), ("model", .string(run.model)), ("stream", .bool(run.streamed))])
        }))]))
    }
}

extension OpenRouterSimulator {
    /// `POST /__sim/faults` `{management_error?, created_key_behavior?, activity_as_of?}`: replaces
    /// the faults in force (`{}` clears them); answers them.
    func controlFaults(_ incoming: Request) async throws -> Response {
        var request = incoming
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        let faults: SimulatorFaults
        do {
            faults = try JSONDecoder().decode(SimulatorFaults.self, from: Data(buffer: buffer))
        } catch {
            throw OpenRouterError(400, "Send {\"management_error\": 503?, \"created_key_behavior\": {…}?, \"activity_as_of\": \"YYYY-MM-DD\"?, \"generation_error\": 503?} (\(error.localizedDescription)).")
        }
        if let day = faults.activityAsOf, ISO8601.parseDay(day) == nil {
            throw OpenRouterError(400, "activity_as_of must be a day as YYYY-MM-DD.")
        }
        setFaults(faults)
        return controlFaultsState()
    }

    /// `GET /__sim/faults`.
    func controlFaultsState() -> Response {
        let faults = store.withLock { $0.faults }
        return SimulatorResponses.json(.object([
            ("management_error", JSONValue.int(faults.managementError)),
            ("created_key_behavior", faults.createdKeyBehavior.map { _ in JSONValue.bool(true) } ?? JSONValue.null),
            ("activity_as_of", .string(faults.activityAsOf)),
            ("generation_error", JSONValue.int(faults.generationError)),
        ]))
    }
}
