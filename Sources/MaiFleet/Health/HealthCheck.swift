import Foundation

/// A Nagios-style state. Ordered by how bad it is for the overall state: OK < UNKNOWN < WARNING <
/// CRITICAL, so UNKNOWN wins only when nothing is worse.
public enum HealthState: String, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case ok = "OK"
    case unknown = "UNKNOWN"
    case warning = "WARNING"
    case critical = "CRITICAL"

    private var rank: Int {
        switch self {
        case .ok: 0
        case .unknown: 1
        case .warning: 2
        case .critical: 3
        }
    }

    public static func < (lhs: HealthState, rhs: HealthState) -> Bool { lhs.rank < rhs.rank }

    /// The Nagios plugin exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    public var exitCode: Int32 {
        switch self {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }

    /// The worst of `states`; OK when empty.
    public static func worst<S: Sequence>(_ states: S) -> HealthState where S.Element == HealthState {
        states.max() ?? .ok
    }
}

/// One check of one instance: `disk`, `memory`, `admin_api`, …
public struct HealthCheck: Sendable, Codable, Hashable {
    /// Stable name (`ssh`, `agent`, `public_health`, `admin_api`, `database`, `disk`, `memory`,
    /// `confirmation_age`, `tls`, `openrouter_key`, `backup_age`).
    public var name: String
    public var state: HealthState
    /// What was seen, for people.
    public var message: String
    /// The measured number, when there is one (percent free, seconds of age, days left).
    public var value: Double?
    /// Shown only in verbose output and never counted in the overall state (checks whose data
    /// the agent does not expose yet).
    public var informational: Bool

    public init(_ name: String, _ state: HealthState, _ message: String, value: Double? = nil, informational: Bool = false) {
        self.name = name
        self.state = state
        self.message = message
        self.value = value
        self.informational = informational
    }
}

/// Every check of one instance.
public struct InstanceHealth: Sendable, Codable, Hashable {
    public var instance: String
    public var address: String
    /// The worst state among the counted (non-informational) checks.
    public var state: HealthState
    public var checks: [HealthCheck]

    public init(instance: String, address: String, checks: [HealthCheck]) {
        self.instance = instance
        self.address = address
        self.checks = checks
        self.state = HealthState.worst(checks.filter { !$0.informational }.map(\.state))
    }

    /// The counted checks that are not OK.
    public var problems: [HealthCheck] { checks.filter { !$0.informational && $0.state != .ok } }
}

/// The whole run: what `--json` prints and `--notify` posts.
public struct FleetHealth: Sendable, Codable, Hashable {
    public var state: HealthState
    public var checkedAt: Date
    /// Instances per state.
    public struct Counts: Sendable, Codable, Hashable {
        public var ok = 0, warning = 0, critical = 0, unknown = 0
    }

    public var counts: Counts
    public var instances: [InstanceHealth]

    public init(instances: [InstanceHealth], checkedAt: Date) {
        self.instances = instances
        self.checkedAt = checkedAt
        self.state = HealthState.worst(instances.map(\.state))
        var counts = Counts()
        for instance in instances {
            switch instance.state {
            case .ok: counts.ok += 1
            case .warning: counts.warning += 1
            case .critical: counts.critical += 1
            case .unknown: counts.unknown += 1
            }
        }
        self.counts = counts
    }

    /// The same run without the informational checks (what is shown unless verbose).
    public var withoutInformational: FleetHealth {
        var copy = self
        copy.instances = instances.map { instance in
            var trimmed = instance
            trimmed.checks = instance.checks.filter { !$0.informational }
            return trimmed
        }
        return copy
    }

    /// The Nagios exit code of the run.
    public var exitCode: Int32 { state.exitCode }

    /// One line: `CRITICAL: 1 CRITICAL (acme), 2 OK`.
    public var summaryLine: String {
        let parts = HealthState.allCases.reversed().compactMap { state -> String? in
            let names = instances.filter { $0.state == state }.map(\.instance)
            guard !names.isEmpty else { return nil }
            return state == .ok ? "\(names.count) OK" : "\(names.count) \(state.rawValue) (\(names.joined(separator: ", ")))"
        }
        return "\(state.rawValue): " + (parts.isEmpty ? "no instances" : parts.joined(separator: ", "))
    }
}
