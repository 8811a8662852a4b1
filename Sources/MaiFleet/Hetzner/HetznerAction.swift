/// An asynchronous operation: `{id, command, status, progress, started, finished, resources, error}`.
public struct HetznerAction: Sendable, Hashable, Codable {
    public struct Resource: Sendable, Hashable, Codable {
        public var id: Int
        public var type: String
    }
    public struct Failure: Sendable, Hashable, Codable {
        public var code: String
        public var message: String
    }

    public var id: Int
    /// `create_server`, `delete_server`, `set_firewall_rules`, …
    public var command: String
    /// `running`, `success` or `error`.
    public var status: String
    /// 0–100.
    public var progress: Int
    public var started: String
    public var finished: String?
    public var resources: [Resource]
    public var error: Failure?

    public init(id: Int, command: String, status: String, progress: Int, started: String, finished: String? = nil,
                resources: [Resource] = [], error: Failure? = nil) {
        self.id = id
        self.command = command
        self.status = status
        self.progress = progress
        self.started = started
        self.finished = finished
        self.resources = resources
        self.error = error
    }

    public var isRunning: Bool { status == "running" }
}
