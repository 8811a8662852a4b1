import Foundation
import Hummingbird

extension HetznerSimulator {
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date).replacingOccurrences(of: "Z", with: "+00:00")
    }

    static func labels(_ labels: [String: String]) -> JSONValue {
        .object(labels.keys.sorted().map { ($0, .string(labels[$0]!)) })
    }

    /// One page of `items` per `page`/`per_page` (default 25, at most 50), with `meta.pagination`.
    func paginate(_ key: String, _ items: [JSONValue], _ request: Request) throws -> Response {
        let page = try positiveQuery(request, "page") ?? 1
        let perPage = min(50, try positiveQuery(request, "per_page") ?? 25)
        let lastPage = max(1, (items.count + perPage - 1) / perPage)
        let start = min(items.count, (page - 1) * perPage)
        let slice = Array(items[start..<min(items.count, start + perPage)])
        let pagination: JSONValue = .object([
            ("page", .int(page)), ("per_page", .int(perPage)),
            ("previous_page", page > 1 ? .int(min(page - 1, lastPage)) : .null),
            ("next_page", page < lastPage ? .int(page + 1) : .null),
            ("last_page", .int(lastPage)), ("total_entries", .int(items.count)),
        ])
        return Self.json(.object([(key, .array(slice)), ("meta", .object([("pagination", pagination)]))]))
    }

    func positiveQuery(_ request: Request, _ name: String) throws -> Int? {
        guard let text = SimulatorResponses.query(request, name) else { return nil }
        guard let value = Int(text), value >= 1 else { throw HetznerSimError.invalidInput(name, "must be an integer of at least 1") }
        return value
    }

    /// `label_selector` from the query, or `invalid_input`.
    func selector(_ request: Request) throws -> LabelSelector? {
        guard let text = SimulatorResponses.query(request, "label_selector") else { return nil }
        guard let selector = LabelSelector(text) else { throw HetznerSimError.invalidInput("label_selector", "invalid label selector") }
        return selector
    }

    func render(_ action: HetznerStore.Action, now: Date) -> JSONValue {
        let elapsed = now.timeIntervalSince(action.started)
        let done = elapsed >= action.duration
        let progress = done ? 100 : min(99, Int(elapsed / max(action.duration, 0.001) * 100))
        return .object([
            ("id", .int(action.id)), ("command", .string(action.command)),
            ("status", .string(done ? "success" : "running")), ("progress", .int(progress)),
            ("started", .string(Self.timestamp(action.started))),
            ("finished", done ? .string(Self.timestamp(action.started.addingTimeInterval(action.duration))) : .null),
            ("resources", .array(action.resources.map { .object([("id", .int($0.id)), ("type", .string($0.type))]) })),
            ("error", .null),
        ])
    }

    func isFinished(_ actionID: Int, in store: HetznerStore, now: Date) -> Bool {
        guard let action = store.actions[actionID] else { return true }
        return now.timeIntervalSince(action.started) >= action.duration
    }

    func render(_ type: HetznerCatalog.ServerType) -> JSONValue {
        let prices: [JSONValue] = HetznerCatalog.locations.map { location in
            .object([
                ("location", .string(location.name)),
                ("price_hourly", .object([("net", .string("0.0060000000")), ("gross", .string("0.0071400000"))])),
                ("price_monthly", .object([("net", .string(type.monthly)), ("gross", .string(type.monthly))])),
                ("included_traffic", .int(21_990_232_555_520)),
                ("price_per_tb_traffic", .object([("net", .string("1.0000000000")), ("gross", .string("1.1900000000"))])),
            ])
        }
        return .object([
            ("id", .int(type.id)), ("name", .string(type.name)), ("description", .string(type.description)),
            ("cores", .int(type.cores)), ("memory", .number(type.memory)), ("disk", .int(type.disk)),
            ("deprecated", .bool(type.deprecated)), ("prices", .array(prices)), ("storage_type", .string("local")),
            ("cpu_type", .string(type.cpuType)), ("architecture", .string(type.architecture)),
        ])
    }

    func render(_ location: HetznerCatalog.Location) -> JSONValue {
        .object([
            ("id", .int(location.id)), ("name", .string(location.name)), ("description", .string(location.description)),
            ("country", .string(location.country)), ("city", .string(location.city)),
            ("latitude", .number(location.latitude)), ("longitude", .number(location.longitude)),
            ("network_zone", .string(location.networkZone)),
        ])
    }

    func render(_ image: HetznerCatalog.Image) -> JSONValue {
        .object([
            ("id", .int(image.id)), ("type", .string("system")), ("status", .string("available")), ("name", .string(image.name)),
            ("description", .string(image.description)), ("image_size", .null), ("disk_size", .int(5)),
            ("created", .string("2023-06-13T06:00:02+00:00")), ("created_from", .null), ("bound_to", .null),
            ("os_flavor", .string(image.osFlavor)), ("os_version", .string(image.osVersion)), ("rapid_deploy", .bool(true)),
            ("protection", .object([("delete", .bool(false))])), ("deprecated", .null), ("deleted", .null),
            ("labels", .object([])), ("architecture", .string(image.architecture)),
        ])
    }

    func render(_ server: HetznerStore.Server, in store: HetznerStore, now: Date) -> JSONValue {
        let status = !isFinished(server.createActionID, in: store, now: now) ? "initializing" : (server.poweredOn ? "running" : "off")
        let attached = store.firewalls.values.filter { firewall in
            firewall.appliedServers.contains(server.id) || firewall.selectors.contains { LabelSelector($0)?.matches(server.labels) ?? false }
        }.sorted { $0.id < $1.id }
        let location = server.location
        return .object([
            ("id", .int(server.id)), ("name", .string(server.name)), ("status", .string(status)),
            ("created", .string(Self.timestamp(server.created))),
            ("public_net", .object([
                ("ipv4", .object([("id", .int(server.id + 500_000)), ("ip", .string(server.ipv4)), ("blocked", .bool(false)),
                                  ("dns_ptr", .string("static.\(server.ipv4.split(separator: ".").reversed().joined(separator: ".")).clients.your-server.de"))])),
                ("ipv6", .object([("id", .int(server.id + 600_000)), ("ip", .string(server.ipv6)), ("blocked", .bool(false)), ("dns_ptr", .array([]))])),
                ("floating_ips", .array([])),
                ("firewalls", .array(attached.map { .object([("id", .int($0.id)), ("status", .string("applied"))]) })),
            ])),
            ("private_net", .array([])),
            ("server_type", render(server.serverType)),
            ("datacenter", .object([
                ("id", .int(location.datacenterID)), ("name", .string(location.datacenter)),
                ("description", .string("\(location.city) virtual DC")), ("location", render(location)),
            ])),
            ("image", render(server.image)),
            ("iso", .null), ("rescue_enabled", .bool(false)), ("locked", .bool(false)), ("backup_window", .null),
            ("outgoing_traffic", .int(0)), ("ingoing_traffic", .int(0)), ("included_traffic", .int(21_990_232_555_520)),
            ("protection", .object([("delete", .bool(false)), ("rebuild", .bool(false))])),
            ("labels", Self.labels(server.labels)), ("volumes", .array([])), ("load_balancers", .array([])),
            ("primary_disk_size", .int(server.serverType.disk)), ("placement_group", .null),
        ])
    }

    func render(_ key: HetznerStore.SSHKey) -> JSONValue {
        .object([
            ("id", .int(key.id)), ("name", .string(key.name)), ("fingerprint", .string(key.fingerprint)),
            ("public_key", .string(key.publicKey)), ("labels", Self.labels(key.labels)), ("created", .string(Self.timestamp(key.created))),
        ])
    }

    func render(_ firewall: HetznerStore.Firewall, in store: HetznerStore) -> JSONValue {
        var applied: [JSONValue] = firewall.appliedServers.map { .object([("type", .string("server")), ("server", .object([("id", .int($0))]))]) }
        for text in firewall.selectors {
            let matching = store.servers.values.filter { LabelSelector(text)?.matches($0.labels) ?? false }.map(\.id).sorted()
            applied.append(.object([
                ("type", .string("label_selector")), ("label_selector", .object([("selector", .string(text))])),
                ("applied_to_resources", .array(matching.map { .object([("type", .string("server")), ("server", .object([("id", .int($0))]))]) })),
            ]))
        }
        return .object([
            ("id", .int(firewall.id)), ("name", .string(firewall.name)), ("labels", Self.labels(firewall.labels)),
            ("created", .string(Self.timestamp(firewall.created))), ("rules", .array(firewall.rules)), ("applied_to", .array(applied)),
        ])
    }
}
