import MaiCore
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
}
