import Foundation
import HTTPTypes
import Hummingbird

extension HetznerSimulator {
    func listServers(_ request: Request) throws -> Response {
        let selector = try selector(request)
        let name = SimulatorResponses.query(request, "name")
        let now = clock.now
        let items = store.withLock { store in
            store.servers.values
                .filter { server in (name == nil || server.name == name) && (selector?.matches(server.labels) ?? true) }
                .sorted { $0.id < $1.id }
                .map { render($0, in: store, now: now) }
        }
        return try paginate("servers", items, request)
    }

    func getServer(_ id: Int) throws -> Response {
        let now = clock.now
        return try store.withLock { store in
            guard let server = store.servers[id] else { throw HetznerSimError.notFound("server") }
            return Self.json(.object([("server", render(server, in: store, now: now))]))
        }
    }

    func createServer(_ body: [String: Any]) throws -> Response {
        var problems: [(String, String)] = []
        let name = body["name"] as? String
        if let name {
            if !Self.isHostname(name) { problems.append(("name", "must be a valid hostname (RFC 1123): letters, digits, hyphens, dots")) }
        } else {
            problems.append(("name", "is required"))
        }
        let serverType = (body["server_type"] as? String).flatMap(HetznerCatalog.serverType) ?? (body["server_type"] as? Int).flatMap { HetznerCatalog.serverType(String($0)) }
        if serverType == nil { problems.append(("server_type", body["server_type"] == nil ? "is required" : "server type not found")) }
        let image = (body["image"] as? String).flatMap(HetznerCatalog.image) ?? (body["image"] as? Int).flatMap { HetznerCatalog.image(String($0)) }
        if image == nil { problems.append(("image", body["image"] == nil ? "is required" : "image not found")) }
        var location = HetznerCatalog.location("nbg1")!
        if let reference = body["location"] {
            if let found = (reference as? String).flatMap(HetznerCatalog.location) { location = found } else { problems.append(("location", "location not found")) }
        } else if let reference = body["datacenter"] as? String {
            if let found = HetznerCatalog.locations.first(where: { $0.datacenter == reference }) { location = found } else { problems.append(("datacenter", "datacenter not found")) }
        }
        let userData = body["user_data"] as? String
        if body["user_data"] != nil, userData == nil { problems.append(("user_data", "must be a string")) }
        if let userData, userData.utf8.count > 32 * 1024 { problems.append(("user_data", "must be at most 32 KiB")) }
        let labels = Self.labelsField(body["labels"], &problems)
        if let start = body["start_after_create"], !(start is Bool) { problems.append(("start_after_create", "must be a boolean")) }
        let keyReferences = body["ssh_keys"] as? [Any] ?? []
        if body["ssh_keys"] != nil, !(body["ssh_keys"] is [Any]) { problems.append(("ssh_keys", "must be an array")) }
        let firewallReferences = (body["firewalls"] as? [[String: Any]] ?? []).compactMap { $0["firewall"] as? Int }
        guard problems.isEmpty, let name, let serverType, let image else { throw HetznerSimError.invalidInput(problems) }

        let now = clock.now
        let startAfterCreate = body["start_after_create"] as? Bool ?? true
        return try store.withLock { store in
            var keyIDs: [Int] = []
            for reference in keyReferences {
                let match = store.sshKeys.values.first { key in
                    (reference as? String).map { key.name == $0 || String(key.id) == $0 } ?? ((reference as? Int) == key.id)
                }
                guard let match else { throw HetznerSimError.invalidInput("ssh_keys", "ssh key not found: \(reference)") }
                keyIDs.append(match.id)
            }
            for id in firewallReferences where store.firewalls[id] == nil {
                throw HetznerSimError.invalidInput("firewalls", "firewall not found: \(id)")
            }
            guard !store.servers.values.contains(where: { $0.name == name }) else { throw HetznerSimError.uniqueness("name") }
            let id = store.makeID()
            let action = store.startAction("create_server", now: now, duration: configuration.createDuration, resources: [(id, "server")])
            let server = HetznerStore.Server(
                id: id, name: name, serverType: serverType, location: location, image: image, labels: labels, created: now,
                ipv4: store.nextAddress(), ipv6: "2a01:4f8:c0c:\(String(id, radix: 16))::/64", userData: userData, sshKeys: keyIDs,
                createActionID: action.id, poweredOn: startAfterCreate, firewalls: firewallReferences)
            store.servers[id] = server
            for firewall in firewallReferences { store.firewalls[firewall]?.appliedServers.append(id) }
            let password: JSONValue = keyIDs.isEmpty ? .string(Self.correlationID()) : .null
            return Self.json(.object([
                ("server", render(server, in: store, now: now)), ("action", render(action, now: now)),
                ("next_actions", .array([])), ("root_password", password),
            ]), status: .created)
        }
    }

    func updateServer(_ id: Int, _ body: [String: Any]) throws -> Response {
        var problems: [(String, String)] = []
        let name = body["name"] as? String
        if let name, !Self.isHostname(name) { problems.append(("name", "must be a valid hostname (RFC 1123)")) }
        let labels = body["labels"] == nil ? nil : Self.labelsField(body["labels"], &problems)
        guard problems.isEmpty else { throw HetznerSimError.invalidInput(problems) }
        let now = clock.now
        return try store.withLock { store in
            guard var server = store.servers[id] else { throw HetznerSimError.notFound("server") }
            if let name, name != server.name {
                guard !store.servers.values.contains(where: { $0.name == name }) else { throw HetznerSimError.uniqueness("name") }
                server.name = name
            }
            if let labels { server.labels = labels }
            store.servers[id] = server
            return Self.json(.object([("server", render(server, in: store, now: now))]))
        }
    }

    func deleteServer(_ id: Int) throws -> Response {
        let now = clock.now
        return try store.withLock { store in
            guard let server = store.servers.removeValue(forKey: id) else { throw HetznerSimError.notFound("server") }
            store.release(server.ipv4)
            for key in store.firewalls.keys { store.firewalls[key]?.appliedServers.removeAll { $0 == id } }
            let action = store.startAction("delete_server", now: now, duration: configuration.actionDuration, resources: [(id, "server")])
            return Self.json(.object([("action", render(action, now: now))]))
        }
    }

    func powerAction(_ id: Int, _ command: String) throws -> Response {
        let power: Bool
        switch command {
        case "poweron": power = true
        case "poweroff", "shutdown": power = false
        case "reboot": power = true
        default: throw HetznerSimError.notFound("action \(command)")
        }
        let now = clock.now
        return try store.withLock { store in
            guard store.servers[id] != nil else { throw HetznerSimError.notFound("server") }
            guard isFinished(store.servers[id]!.createActionID, in: store, now: now) else {
                throw HetznerSimError(HTTPResponse.Status(code: 423), "locked", "server is locked: an action is running")
            }
            store.servers[id]!.poweredOn = power
            let name = command == "poweron" ? "start_server" : command == "poweroff" ? "stop_server" : command + "_server"
            let action = store.startAction(name, now: now, duration: configuration.actionDuration, resources: [(id, "server")])
            return Self.json(.object([("action", render(action, now: now))]), status: .created)
        }
    }

    /// RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, ≤ 63 each, ≤ 253 in all.
    static func isHostname(_ name: String) -> Bool {
        guard !name.isEmpty, name.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        }
    }

    /// `labels`: an object of string values with valid keys; problems are collected.
    static func labelsField(_ value: Any?, _ problems: inout [(String, String)]) -> [String: String] {
        guard let value else { return [:] }
        guard let object = value as? [String: Any] else {
            problems.append(("labels", "must be an object of strings"))
            return [:]
        }
        var labels: [String: String] = [:]
        for (key, raw) in object {
            guard let text = raw as? String, LabelSelector.isKey(key), text.count <= 63,
                  text.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) })
            else {
                problems.append(("labels", "invalid label \(key)"))
                continue
            }
            labels[key] = text
        }
        return labels
    }
}
