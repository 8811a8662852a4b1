import Foundation
import MaiCore

/// OpenRouter's key management as rotation, creation, sync and disabling need it (`OpenRouterManagementClient` in production).
public protocol OpenRouterKeyManaging: Sendable {
    func key(hash: String) async throws -> OpenRouterKey
    func createKey(_ key: NewOpenRouterKey) async throws -> CreatedOpenRouterKey
    func updateKey(hash: String, _ patch: OpenRouterKeyPatch) async throws -> OpenRouterKey
    func deleteKey(hash: String) async throws
    /// Every key of the account (`GET /keys`, all pages), disabled ones too when asked.
    func allKeys(includeDisabled: Bool) async throws -> [OpenRouterKey]
}

extension OpenRouterManagementClient: OpenRouterKeyManaging {}

/// The agent's side of a rotation: its key state, the switch, and a confirmation run on demand
/// (`AdminAPIClient` in production).
public protocol AgentKeyControl: Sendable {
    func openRouterKey() async throws -> OpenRouterKeyState
    /// The agent checks the key with OpenRouter (`GET /key`) and switches new requests to it.
    func switchOpenRouterKey(to secret: Secret) async throws -> OpenRouterKeyState
    /// Runs the agent's usage confirmation once now, looking up `keyHash`'s provisional
    /// generations whatever their backoff.
    func confirmUsageNow(forcing keyHash: String?) async throws
}

extension AdminAPIClient: AgentKeyControl {}
