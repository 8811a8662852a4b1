/// Which version each instance is deployed or rolled back to — the decisions `maictl deploy` and
/// `maictl rollback` make before anything runs, pure and tested without hosts.
public enum RolloutTargets {
    /// What `deploy` does to each instance.
    public struct Deploy: Sendable, Equatable {
        /// Slug → version.
        public var versions: [String: String]
        /// One line per instance whose client file decided (shown before the rollout).
        public var notes: [String]
    }

    /// `deploy`: without `requested` (`--version`), every instance gets its own version — its client
    /// file's `agent_version` or fleet.toml's. With `requested`, every instance gets it except those
    /// whose client file pins another version: a pin is kept unless the client was named (`--only`),
    /// which is how an operator moves a pinned client on purpose.
    public static func deploy(instances: [Instance], requested: String?, named: Set<String>) -> Deploy {
        var versions: [String: String] = [:]
        var notes: [String] = []
        for instance in instances {
            guard let requested else {
                versions[instance.slug] = instance.agentVersion
                continue
            }
            if let pin = instance.versionPin, pin != requested {
                if named.contains(instance.slug) {
                    versions[instance.slug] = requested
                    notes.append("\(instance.slug): deploying \(requested), named with --only, although clients/\(instance.slug).toml pins agent_version = \"\(pin)\" "
                                 + "(the next deploy --all brings it back to \(pin) unless you change the file)")
                } else {
                    versions[instance.slug] = pin
                    notes.append("\(instance.slug): stays on \(pin), pinned by agent_version in clients/\(instance.slug).toml")
                }
            } else {
                versions[instance.slug] = requested
            }
        }
        return Deploy(versions: versions, notes: notes)
    }
}
