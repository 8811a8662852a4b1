import MaiCore
import Foundation

extension FleetDefaults {
    /// The tables of `fleet.toml` and their keys, in documentation order.
    static let schema: [(table: String, keys: [String])] = [
        ("hetzner", ["location", "server_type", "image", "ssh_keys", "firewall_ssh_sources"]),
        ("agent", ["image", "version", "port", "markup_rate", "usage_sync_interval"]),
        ("deploy", ["parallel", "batch", "max_failures"]),
        ("operator", ["email"]),
        ("health", HealthThresholds.keys),
        ("backup", ["keep"]),
    ]

    /// Reads `fleet.toml`; the defaults are usable only when `problems` is empty.
    static func read(_ document: TOMLDocument, file: String) -> (defaults: FleetDefaults, problems: [FleetProblem]) {
        var defaults = FleetDefaults()
        var problems: [FleetProblem] = []
        let empty = { (name: String) in TOMLTable(name: name, line: nil) }

        var hetzner = FieldReader(file: file, table: document.table("hetzner") ?? empty("hetzner"))
        defaults.hetzner.read(&hetzner)
        var agent = FieldReader(file: file, table: document.table("agent") ?? empty("agent"))
        defaults.agent.read(&agent)
        var deploy = FieldReader(file: file, table: document.table("deploy") ?? empty("deploy"))
        defaults.deploy.read(&deploy)
        var health = FieldReader(file: file, table: document.table("health") ?? empty("health"))
        defaults.health.read(&health)
        var backup = FieldReader(file: file, table: document.table("backup") ?? empty("backup"))
        if let value = backup.integer("keep", in: 1...1000, example: "7") {
            defaults.backup.keep = value.value
        }
        var operatorTable = FieldReader(file: file, table: document.table("operator") ?? empty("operator"))
        if let email = operatorTable.string("email", required: true, example: "\"ops@example.com\"") {
            if let normalised = FieldRules.email(email.value) {
                defaults.operatorEmail = normalised
            } else {
                operatorTable.problem("email", line: email.line, "\"\(email.value)\" is not an e-mail address — write the operator's address such as \"ops@example.com\"")
            }
        }

        // A key in the wrong table is a common slip; say where it belongs.
        var home: [String: String] = [:]
        for (table, keys) in schema { for key in keys where home[key] == nil { home[key] = table } }
        for var reader in [hetzner, agent, deploy, operatorTable, health, backup] {
            var elsewhere = home.filter { $0.value != reader.table.name }
            for key in reader.known { elsewhere[key] = nil }
            reader.rejectUnknownKeys(elsewhere: elsewhere)
            problems += reader.problems
        }

        for entry in document.root.entries {
            let message: String
            if let table = home[entry.key] {
                message = "belongs under [\(table)] — move it below that header"
            } else {
                let all = schema.flatMap(\.keys)
                message = "unknown key" + (KeySuggestion.closest(to: entry.key, among: all).map { " — did you mean \($0)?" } ?? " — fleet.toml has only the tables [hetzner], [agent], [deploy], [operator] and [health]")
            }
            problems.append(FleetProblem(file: file, line: entry.line, field: entry.key, message))
        }
        let tableNames = schema.map(\.table)
        for table in document.tables where !tableNames.contains(table.name) {
            let hint = KeySuggestion.closest(to: table.name, among: tableNames).map { "did you mean [\($0)]?" }
                ?? "expected [hetzner], [agent], [deploy], [operator] or [health]"
            problems.append(FleetProblem(file: file, line: table.line, field: "[\(table.name)]", "unknown table — \(hint)"))
        }
        return (defaults, problems.sortedByLine())
    }
}

extension FleetDefaults.Hetzner {
    mutating func read(_ reader: inout FieldReader) {
        if let value = reader.string("location", example: "\"nbg1\"") {
            if FieldRules.locations.contains(value.value) {
                location = value.value
            } else {
                let hint = KeySuggestion.closest(to: value.value, among: FieldRules.locations).map { "did you mean \"\($0)\"? " } ?? ""
                reader.problem("location", line: value.line, "\"\(value.value)\" is not a Hetzner location — \(hint)expected one of \(FieldRules.locations.joined(separator: ", "))")
            }
        }
        if let value = reader.string("server_type", example: "\"cx23\"") {
            if FieldRules.isServerType(value.value) {
                serverType = value.value
            } else {
                reader.problem("server_type", line: value.line, "\"\(value.value)\" is not a Hetzner server type — write a name such as \"cx23\", \"cpx22\" or \"cax11\"")
            }
        }
        if let value = reader.string("image", example: "\"debian-12\"") {
            if FieldRules.isImageOSName(value.value) {
                image = value.value
            } else {
                reader.problem("image", line: value.line, "\"\(value.value)\" is not a Hetzner image name — write one such as \"debian-12\"")
            }
        }
        if let keys = reader.strings("ssh_keys", required: true, example: "[\"operator\"]") {
            if keys.value.isEmpty {
                reader.problem("ssh_keys", line: keys.line, "empty — name at least one SSH key of the Hetzner project (without one, Hetzner e-mails a root password)")
            }
            var seen: Set<String> = []
            for key in keys.value {
                let name = key.value
                if name.hasPrefix("ssh-") || name.hasPrefix("ecdsa-") {
                    reader.problem("ssh_keys", line: key.line, "looks like a public key — give the key's name in the Hetzner project, as `hcloud ssh-key list` shows it")
                } else if name.trimmingCharacters(in: .whitespaces).isEmpty {
                    reader.problem("ssh_keys", line: key.line, "an empty name — give the key's name in the Hetzner project")
                } else if !seen.insert(name).inserted {
                    reader.problem("ssh_keys", line: key.line, "\"\(name)\" is listed twice")
                }
            }
            sshKeys = keys.value.map(\.value)
        }
        if let sources = reader.strings("firewall_ssh_sources", example: "[\"203.0.113.0/24\"]") {
            if sources.value.isEmpty {
                reader.problem("firewall_ssh_sources", line: sources.line, "empty — list the networks maictl connects from, such as [\"203.0.113.7/32\"]")
            }
            for source in sources.value {
                if let problem = FieldRules.cidrProblem(source.value) {
                    reader.problem("firewall_ssh_sources", line: source.line, problem)
                }
            }
            firewallSSHSources = sources.value.map(\.value)
        }
    }
}

extension FleetDefaults.Agent {
    mutating func read(_ reader: inout FieldReader) {
        if let value = reader.string("image", example: "\"mai-agent\"") {
            if value.value.split(separator: "/").last?.contains(":") == true {
                reader.problem("image", line: value.line, "\"\(value.value)\" carries a tag — write the name alone and the tag in agent.version")
            } else if FieldRules.isImageName(value.value) {
                image = value.value
            } else {
                reader.problem("image", line: value.line, "\"\(value.value)\" is not a container image name — write one such as \"mai-agent\" or \"registry.example.com/mai/agent\"")
            }
        }
        if let value = reader.string("version", required: true, example: "\"0.1.0\"") {
            if FieldRules.isImageTag(value.value) {
                version = value.value
            } else {
                reader.problem("version", line: value.line, "\"\(value.value)\" is not an image tag — write the version to deploy, such as \"0.1.0\"")
            }
        }
        if let value = reader.integer("port", in: 1...65535, example: "8080") {
            port = value.value
        }
        if let value = reader.decimalText("markup_rate", example: "\"1.3\"") {
            if let rate = MarkupRate(decimal: value.value) {
                markupRate = rate
            } else {
                reader.problem("markup_rate", line: value.line, "\"\(value.value)\" is not a markup rate — expected a decimal greater than 0 with at most 6 decimals, such as \"1.3\" (cost + 30 %)")
            }
        }
        if let value = reader.string("usage_sync_interval", example: "\"15m\"") {
            if let seconds = FieldRules.durationSeconds(value.value), (60...86_400).contains(seconds) {
                usageSyncIntervalSeconds = seconds
            } else {
                reader.problem("usage_sync_interval", line: value.line, "\"\(value.value)\" is not an interval between 1 minute and 24 hours — write one such as \"15m\" or \"1h\"")
            }
        }
    }
}

extension FleetDefaults.Deploy {
    mutating func read(_ reader: inout FieldReader) {
        if let value = reader.integer("parallel", in: 1...64, example: "8") {
            parallel = value.value
        }
        if let value = reader.integer("batch", in: 1...1000, example: "5") {
            batch = value.value
        }
        if let value = reader.integer("max_failures", in: 0...1000, example: "1") {
            maxFailures = value.value
        }
    }
}
