import Foundation
import MaiCore

extension Fleet {
    /// One row per client: what `maictl fleet validate` prints.
    public var clientTable: Table {
        var table = Table(columns: [
            .init("SLUG"), .init("NAME"), .init("DOMAIN"), .init("HOST"), .init("LOCATION"), .init("TYPE"),
            .init("VERSION"), .init("KEY LIMIT"), .init("STATE"),
        ])
        for instance in instances {
            let limit = instance.openRouterKeyLimit.map { money in
                "$" + money.decimalString + (instance.openRouterLimitReset.map { "/\($0.rawValue)" } ?? "")
            }
            table.append([
                instance.slug, instance.name, instance.domain, instance.host ?? "hetzner", instance.location,
                instance.serverType, instance.agentVersion, limit ?? "-", instance.disabled ? "disabled" : "enabled",
            ])
        }
        return table
    }

    /// The resolved instances as a JSON array (snake_case keys, sorted), ending in a newline.
    public func instancesJSON() throws -> String {
        let encoder = AdminAPI.encoder
        encoder.outputFormatting.insert(.prettyPrinted)
        encoder.outputFormatting.insert(.withoutEscapingSlashes)
        let data = try encoder.encode(instances)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
