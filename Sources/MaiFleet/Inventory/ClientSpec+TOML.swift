import Foundation
import MaiCore

extension ClientSpec {
    /// The keys of a client file, in documentation order.
    static let keys = [
        "name", "domain", "admin_email", "openrouter_key_limit", "openrouter_limit_reset", "brand_dir",
        "server_type", "location", "agent_version", "host", "open_signup", "allow_private_provider_urls", "disabled",
    ]

    /// Reads `clients/<slug>.toml`. Checks that need the whole fleet (unique domains, the brand
    /// directory on disk) are done by `FleetLoader`. `nil` when a required field is unusable.
    static func read(_ document: TOMLDocument, slug: String, file: String) -> (client: ClientSpec?, problems: [FleetProblem]) {
        var reader = FieldReader(file: file, table: document.root)
        var problems: [FleetProblem] = []

        let name = reader.string("name", required: true, example: "\"Acme GmbH\"")
        if let name, name.value.trimmingCharacters(in: .whitespaces).isEmpty || name.value.count > 100 {
            reader.problem("name", line: name.line, "expected the client's display name, 1–100 characters, such as \"Acme GmbH\"")
        }
        var domain: String?
        if let value = reader.string("domain", required: true, example: "\"chat.\(slug).example\"") {
            domain = FieldRules.hostname(value.value)
            if domain == nil {
                reader.problem("domain", line: value.line, "\"\(value.value)\" is not a hostname — use the client's domain such as chat.\(slug).example")
            }
        }
        var adminEmail: String?
        if let value = reader.string("admin_email", required: true, example: "\"admin@\(slug).example\"") {
            adminEmail = FieldRules.email(value.value)
            if adminEmail == nil {
                reader.problem("admin_email", line: value.line, "\"\(value.value)\" is not an e-mail address — write the client administrator's address such as admin@\(slug).example")
            }
        }
        var spec = ClientSpec(slug: slug, name: name?.value.trimmingCharacters(in: .whitespaces) ?? "", domain: domain ?? "", adminEmail: adminEmail ?? "")

        let limit = reader.decimalText("openrouter_key_limit", example: "\"50\"")
        if let limit {
            if let nanos = FieldRules.decimal(limit.value, maxDecimals: 2, scale: 9), nanos > 0 {
                spec.openRouterKeyLimit = Money(nanos: nanos)
            } else {
                reader.problem("openrouter_key_limit", line: limit.line, "\"\(limit.value)\" is not a USD amount — expected a positive amount with at most 2 decimals, such as \"50\" or \"49.99\"")
            }
        }
        if let value = reader.string("openrouter_limit_reset", example: "\"monthly\"") {
            if let reset = LimitReset(rawValue: value.value) {
                spec.openRouterLimitReset = reset
                if limit == nil {
                    reader.problem("openrouter_limit_reset", line: value.line, "has no effect without openrouter_key_limit — set the limit or remove this line")
                }
            } else {
                reader.problem("openrouter_limit_reset", line: value.line, "\"\(value.value)\" is not a reset period — expected \"daily\", \"weekly\" or \"monthly\"")
            }
        }
        if let value = reader.string("brand_dir", example: "\"brands/\(slug)\"") {
            let parts = value.value.split(separator: "/", omittingEmptySubsequences: true)
            if value.value.hasPrefix("/") || value.value.hasPrefix("~") || parts.contains("..") || parts.isEmpty {
                reader.problem("brand_dir", line: value.line, "\"\(value.value)\" must be a directory inside the fleet directory, relative to it, such as \"brands/\(slug)\"")
            } else {
                spec.brandDirectory = parts.joined(separator: "/")
            }
        }
        if let value = reader.string("server_type", example: "\"cx33\"") {
            if FieldRules.isServerType(value.value) {
                spec.serverType = value.value
            } else {
                reader.problem("server_type", line: value.line, "\"\(value.value)\" is not a Hetzner server type — write a name such as \"cx33\", or remove the line to use fleet.toml's")
            }
        }
        if let value = reader.string("location", example: "\"fsn1\"") {
            if FieldRules.locations.contains(value.value) {
                spec.location = value.value
            } else {
                let hint = KeySuggestion.closest(to: value.value, among: FieldRules.locations).map { "did you mean \"\($0)\"? " } ?? ""
                reader.problem("location", line: value.line, "\"\(value.value)\" is not a Hetzner location — \(hint)expected one of \(FieldRules.locations.joined(separator: ", "))")
            }
        }
        if let value = reader.string("agent_version", example: "\"0.1.0\"") {
            if FieldRules.isImageTag(value.value) {
                spec.agentVersion = value.value
            } else {
                reader.problem("agent_version", line: value.line, "\"\(value.value)\" is not an image tag — write a version such as \"0.1.0\", or remove the line to use fleet.toml's")
            }
        }
        if let value = reader.string("host", example: "\"198.51.100.11\"") {
            if let host = FieldRules.host(value.value) {
                spec.host = host
            } else {
                reader.problem("host", line: value.line, "\"\(value.value)\" is not an IP address or hostname — write one such as \"198.51.100.11\", or remove the line to let maictl create a Hetzner server")
            }
        }
        if let value = reader.boolean("open_signup", example: "true") {
            spec.openSignup = value.value
        }
        if let value = reader.string("allow_private_provider_urls", example: "\"ollama.internal,10.0.0.5,192.168.1.0/24\"") {
            if let allowance = FieldRules.privateAddressAllowance(value.value) {
                spec.allowPrivateProviderURLs = allowance
            } else {
                reader.problem("allow_private_provider_urls", line: value.line,
                               "\"\(value.value)\" is not a list of host names, addresses and networks (such as \"ollama.internal,10.0.0.5,192.168.1.0/24\"), nor \"1\" for all")
            }
        }
        if let value = reader.boolean("disabled", example: "true") {
            spec.disabled = value.value
        }

        reader.rejectUnknownKeys()
        problems += reader.problems
        for table in document.tables {
            problems.append(FleetProblem(file: file, line: table.line, field: "[\(table.name)]", "client files have no tables — write \(keys.joined(separator: ", ")) as plain keys at the top"))
        }
        let usable = name != nil && domain != nil && adminEmail != nil
        return (usable ? spec : nil, problems.sortedByLine())
    }
}
