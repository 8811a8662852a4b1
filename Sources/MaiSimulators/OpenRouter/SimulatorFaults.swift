import Foundation

/// Faults a test switches on through `POST /__sim/faults` (or `setFaults(_:)`); `{}` clears them.
public struct SimulatorFaults: Sendable, Equatable, Codable {
    /// Every management call (`/keys…`, `/activity`, `/credits`) answers this status: the
    /// management API is down.
    public var managementError: Int?
    /// Keys created with `POST /keys` from now on get this behaviour (e.g. `key_error: 401`, so an
    /// agent validating the new key refuses it).
    public var createdKeyBehavior: KeyBehavior?
    /// `/activity` answers as if today (UTC) were this `YYYY-MM-DD`: today's generations count as a
    /// completed day once this is tomorrow.
    public var activityAsOf: String?
    /// Every `/generation` lookup answers this status (confirmations stall, e.g. to make a key
    /// rotation's drain time out).
    public var generationError: Int?

    public init(managementError: Int? = nil, createdKeyBehavior: KeyBehavior? = nil, activityAsOf: String? = nil, generationError: Int? = nil) {
        self.generationError = generationError
        self.managementError = managementError
        self.createdKeyBehavior = createdKeyBehavior
        self.activityAsOf = activityAsOf
    }

    enum CodingKeys: String, CodingKey {
        case managementError = "management_error"
        case createdKeyBehavior = "created_key_behavior"
        case activityAsOf = "activity_as_of"
        case generationError = "generation_error"
    }
}
