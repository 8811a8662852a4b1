import Crypto
import Foundation
import Hummingbird

extension HetznerSimulator {
    // MARK: Actions

    func getAction(_ id: Int) throws -> Response {
        let now = clock.now
        return try store.withLock { store in
            guard let action = store.actions[id] else { throw HetznerSimError.notFound("action") }
            return Self.json(.object([("action", render(action, now: now))]))
        }
    }

    func listActions(_ request: Request) throws -> Response {
        let ids = request.uri.queryParameters.getAll("id").compactMap { Int($0) }
        let now = clock.now
        let items = store.withLock { store in
            store.actions.values.filter { ids.isEmpty || ids.contains($0.id) }.sorted { $0.id < $1.id }.map { render($0, now: now) }
        }
        return try paginate("actions", items, request)
    }

    // MARK: SSH keys

    func listSSHKeys(_ request: Request) throws -> Response {
        let selector = try selector(request)
        let name = SimulatorResponses.query(request, "name")
        let fingerprint = SimulatorResponses.query(request, "fingerprint")
        let items = store.withLock { store in
            store.sshKeys.values
                .filter { (name == nil || $0.name == name) && (fingerprint == nil || $0.fingerprint == fingerprint) && (selector?.matches($0.labels) ?? true) }
                .sorted { $0.id < $1.id }.map(render)
        }
        return try paginate("ssh_keys", items, request)
    }

    func getSSHKey(_ id: Int) throws -> Response {
        try store.withLock { store in
            guard let key = store.sshKeys[id] else { throw HetznerSimError.notFound("ssh_key") }
            return Self.json(.object([("ssh_key", render(key))]))
        }
    }

    func createSSHKey(_ body: [String: Any]) throws -> Response {
        var problems: [(String, String)] = []
        let name = body["name"] as? String
        if name?.isEmpty ?? true { problems.append(("name", "is required")) }
        let publicKey = (body["public_key"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines)
        let fingerprint = publicKey.flatMap(Self.md5Fingerprint)
        if fingerprint == nil { problems.append(("public_key", publicKey == nil ? "is required" : "invalid public key")) }
        let labels = Self.labelsField(body["labels"], &problems)
        guard problems.isEmpty, let name, let publicKey, let fingerprint else { throw HetznerSimError.invalidInput(problems) }
        let now = clock.now
        return try store.withLock { store in
            guard !store.sshKeys.values.contains(where: { $0.name == name }) else { throw HetznerSimError.uniqueness("name") }
            guard !store.sshKeys.values.contains(where: { $0.fingerprint == fingerprint }) else {
                throw HetznerSimError(.conflict, "uniqueness_error", "SSH key with the same fingerprint already exists")
            }
            let key = HetznerStore.SSHKey(id: store.makeID(), name: name, publicKey: publicKey, fingerprint: fingerprint, labels: labels, created: now)
            store.sshKeys[key.id] = key
            return Self.json(.object([("ssh_key", render(key))]), status: .created)
        }
    }

    func updateSSHKey(_ id: Int, _ body: [String: Any]) throws -> Response {
        var problems: [(String, String)] = []
        let labels = body["labels"] == nil ? nil : Self.labelsField(body["labels"], &problems)
        guard problems.isEmpty else { throw HetznerSimError.invalidInput(problems) }
        return try store.withLock { store in
            guard var key = store.sshKeys[id] else { throw HetznerSimError.notFound("ssh_key") }
            if let name = body["name"] as? String {
                guard !store.sshKeys.values.contains(where: { $0.name == name && $0.id != id }) else { throw HetznerSimError.uniqueness("name") }
                key.name = name
            }
            if let labels { key.labels = labels }
            store.sshKeys[id] = key
            return Self.json(.object([("ssh_key", render(key))]))
        }
    }

    func deleteSSHKey(_ id: Int) throws -> Response {
        try store.withLock { store in
            guard store.sshKeys.removeValue(forKey: id) != nil else { throw HetznerSimError.notFound("ssh_key") }
            return Response(status: .noContent)
        }
    }

    /// Hetzner's fingerprint: MD5 of the key blob as colon-separated hex; nil when not an OpenSSH key line.
    static func md5Fingerprint(_ line: String) -> String? {
        let fields = line.split(separator: " ")
        guard fields.count >= 2, fields[0].hasPrefix("ssh-") || fields[0].hasPrefix("ecdsa-"),
              let blob = Data(base64Encoded: String(fields[1])), blob.count > 16 else { return nil }
        return Insecure.MD5.hash(data: blob).map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    // MARK: Firewalls

    func listFirewalls(_ request: Request) throws -> Response {
        let selector = try selector(request)
        let name = SimulatorResponses.query(request, "name")
        let items = store.withLock { store in
            store.firewalls.values.filter { (name == nil || $0.name == name) && (selector?.matches($0.labels) ?? true) }
                .sorted { $0.id < $1.id }.map { render($0, in: store) }
        }
        return try paginate("firewalls", items, request)
    }

    func getFirewall(_ id: Int) throws -> Response {
        try store.withLock { store in
            guard let firewall = store.firewalls[id] else { throw HetznerSimError.notFound("firewall") }
            return Self.json(.object([("firewall", render(firewall, in: store))]))
        }
    }

    func createFirewall(_ body: [String: Any]) throws -> Response {
        var problems: [(String, String)] = []
        let name = body["name"] as? String
        if name?.isEmpty ?? true { problems.append(("name", "is required")) }
        let labels = Self.labelsField(body["labels"], &problems)
        let rules = Self.rules(body["rules"], &problems)
        let (servers, selectors) = Self.applyTo(body["apply_to"], &problems)
        guard problems.isEmpty, let name else { throw HetznerSimError.invalidInput(problems) }
        let now = clock.now
        return try store.withLock { store in
            guard !store.firewalls.values.contains(where: { $0.name == name }) else { throw HetznerSimError.uniqueness("name") }
            for id in servers where store.servers[id] == nil { throw HetznerSimError.invalidInput("apply_to", "server not found: \(id)") }
            let id = store.makeID()
            let firewall = HetznerStore.Firewall(id: id, name: name, labels: labels, rules: rules, created: now, appliedServers: servers, selectors: selectors)
            store.firewalls[id] = firewall
            var actions = [store.startAction("set_firewall_rules", now: now, duration: configuration.actionDuration, resources: [(id, "firewall")])]
            if !servers.isEmpty || !selectors.isEmpty {
                actions.append(store.startAction("apply_firewall", now: now, duration: configuration.actionDuration,
                                                 resources: [(id, "firewall")] + servers.map { ($0, "server") }))
            }
            return Self.json(.object([("firewall", render(firewall, in: store)), ("actions", .array(actions.map { render($0, now: now) }))]), status: .created)
        }
    }

    func deleteFirewall(_ id: Int) throws -> Response {
        try store.withLock { store in
            guard let firewall = store.firewalls[id] else { throw HetznerSimError.notFound("firewall") }
            guard firewall.appliedServers.isEmpty else {
                throw HetznerSimError(.unprocessableContent, "resource_in_use", "firewall is still applied to resources")
            }
            store.firewalls[id] = nil
            return Response(status: .noContent)
        }
    }

    func firewallAction(_ id: Int, _ command: String, _ body: [String: Any]) throws -> Response {
        var problems: [(String, String)] = []
        let now = clock.now
        switch command {
        case "set_rules":
            let rules = Self.rules(body["rules"], &problems)
            guard problems.isEmpty else { throw HetznerSimError.invalidInput(problems) }
            return try store.withLock { store in
                guard store.firewalls[id] != nil else { throw HetznerSimError.notFound("firewall") }
                store.firewalls[id]!.rules = rules
                let action = store.startAction("set_firewall_rules", now: now, duration: configuration.actionDuration, resources: [(id, "firewall")])
                return Self.json(.object([("actions", .array([render(action, now: now)]))]), status: .created)
            }
        case "apply_to_resources", "remove_from_resources":
            let (servers, selectors) = Self.applyTo(body["apply_to"] ?? body["remove_from"], &problems)
            guard problems.isEmpty else { throw HetznerSimError.invalidInput(problems) }
            return try store.withLock { store in
                guard var firewall = store.firewalls[id] else { throw HetznerSimError.notFound("firewall") }
                for server in servers where store.servers[server] == nil { throw HetznerSimError.invalidInput("apply_to", "server not found: \(server)") }
                if command == "apply_to_resources" {
                    for server in servers where firewall.appliedServers.contains(server) {
                        throw HetznerSimError(.unprocessableContent, "firewall_already_applied", "firewall is already applied to server \(server)")
                    }
                    let existing = firewall.selectors
                    firewall.appliedServers += servers
                    firewall.selectors += selectors.filter { !existing.contains($0) }
                } else {
                    firewall.appliedServers.removeAll { servers.contains($0) }
                    firewall.selectors.removeAll { selectors.contains($0) }
                }
                store.firewalls[id] = firewall
                let name = command == "apply_to_resources" ? "apply_firewall" : "remove_firewall"
                let action = store.startAction(name, now: now, duration: configuration.actionDuration, resources: [(id, "firewall")] + servers.map { ($0, "server") })
                return Self.json(.object([("actions", .array([render(action, now: now)]))]), status: .created)
            }
        default:
            throw HetznerSimError.notFound("action \(command)")
        }
    }

    /// Validates `rules`, answering them in Hetzner's field order.
    static func rules(_ value: Any?, _ problems: inout [(String, String)]) -> [JSONValue] {
        guard let value else { return [] }
        guard let list = value as? [[String: Any]] else {
            problems.append(("rules", "must be an array of rules"))
            return []
        }
        var rules: [JSONValue] = []
        for (index, rule) in list.enumerated() {
            let field = "rules[\(index)]"
            let direction = rule["direction"] as? String ?? ""
            let proto = rule["protocol"] as? String ?? ""
            let port = rule["port"] as? String
            let sources = rule["source_ips"] as? [String] ?? []
            let destinations = rule["destination_ips"] as? [String] ?? []
            guard ["in", "out"].contains(direction) else { problems.append(("\(field).direction", "must be in or out")); continue }
            guard ["tcp", "udp", "icmp", "esp", "gre"].contains(proto) else { problems.append(("\(field).protocol", "must be tcp, udp, icmp, esp or gre")); continue }
            if ["tcp", "udp"].contains(proto) {
                guard let port, isPortSpec(port) else { problems.append(("\(field).port", "a port or range is required for \(proto)")); continue }
            } else if port != nil {
                problems.append(("\(field).port", "not allowed for \(proto)")); continue
            }
            if direction == "in", sources.isEmpty { problems.append(("\(field).source_ips", "at least one source is required")); continue }
            if direction == "out", destinations.isEmpty { problems.append(("\(field).destination_ips", "at least one destination is required")); continue }
            if let bad = (sources + destinations).first(where: { !isCIDR($0) }) { problems.append(("\(field).source_ips", "\(bad) is not a CIDR")); continue }
            rules.append(.object([
                ("direction", .string(direction)), ("protocol", .string(proto)), ("port", port.map { JSONValue.string($0) } ?? JSONValue.null),
                ("source_ips", .array(sources.map { .string($0) })), ("destination_ips", .array(destinations.map { .string($0) })),
                ("description", (rule["description"] as? String).map { JSONValue.string($0) } ?? JSONValue.null),
            ]))
        }
        return rules
    }

    static func isPortSpec(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { Int($0).map { (1...65535).contains($0) } ?? false }
    }

    static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]) else { return false }
        let address = String(parts[0])
        if address.contains(":") { return (0...128).contains(bits) && address.allSatisfy { $0.isHexDigit || $0 == ":" } }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        return (0...32).contains(bits) && octets.count == 4 && octets.allSatisfy { Int($0).map { (0...255).contains($0) } ?? false }
    }

    /// `apply_to[{type: server, server{id}} | {type: label_selector, label_selector{selector}}]`.
    static func applyTo(_ value: Any?, _ problems: inout [(String, String)]) -> (servers: [Int], selectors: [String]) {
        guard let value else { return ([], []) }
        guard let list = value as? [[String: Any]] else {
            problems.append(("apply_to", "must be an array"))
            return ([], [])
        }
        var servers: [Int] = []
        var selectors: [String] = []
        for item in list {
            switch item["type"] as? String {
            case "server":
                guard let id = (item["server"] as? [String: Any])?["id"] as? Int else { problems.append(("apply_to", "server.id is required")); continue }
                servers.append(id)
            case "label_selector":
                guard let text = (item["label_selector"] as? [String: Any])?["selector"] as? String, LabelSelector(text) != nil else {
                    problems.append(("apply_to", "label_selector.selector is not a valid selector")); continue
                }
                selectors.append(text)
            default:
                problems.append(("apply_to", "type must be server or label_selector"))
            }
        }
        return (servers, selectors)
    }

    // MARK: Catalogue

    func listServerTypes(_ request: Request) throws -> Response {
        let name = SimulatorResponses.query(request, "name")
        return try paginate("server_types", HetznerCatalog.serverTypes.filter { name == nil || $0.name == name }.map(render), request)
    }

    func listLocations(_ request: Request) throws -> Response {
        let name = SimulatorResponses.query(request, "name")
        return try paginate("locations", HetznerCatalog.locations.filter { name == nil || $0.name == name }.map(render), request)
    }

    func listImages(_ request: Request) throws -> Response {
        let name = SimulatorResponses.query(request, "name")
        let type = SimulatorResponses.query(request, "type")
        guard type == nil || type == "system" || type == "snapshot" || type == "backup" || type == "app" else {
            throw HetznerSimError.invalidInput("type", "must be system, snapshot, backup or app")
        }
        let items = type == nil || type == "system" ? HetznerCatalog.images.filter { name == nil || $0.name == name }.map(render) : []
        return try paginate("images", items, request)
    }

    // MARK: Control

    func controlHosts() -> Response {
        let (free, pool) = store.withLock { ($0.freeAddresses, $0.pool) }
        return Self.json(.object([("pool", .array(pool.map { .string($0) })), ("free", .array(free.map { .string($0) }))]))
    }

    /// `POST /__sim/hosts {"ipv4": ["198.51.100.11", …]}`: the addresses the next servers get, in order.
    func controlSetHosts(_ request: Request) async throws -> Response {
        let body: [String: Any]
        do {
            body = try await self.body(request)
        } catch let error as HetznerSimError {
            return SimulatorResponses.json(error.body, status: error.status)
        }
        guard let addresses = body["ipv4"] as? [String] else {
            return SimulatorResponses.json(HetznerSimError.invalidInput("ipv4", "must be an array of addresses").body, status: .badRequest)
        }
        setHostPool(addresses)
        return controlHosts()
    }

    func controlRequests() -> Response {
        Self.json(.object([("requests", .array(requestLog.map { .string($0) }))]))
    }
}
