import Foundation

/// What the operator allows beyond public addresses (`ALLOW_PRIVATE_PROVIDER_URLS`): everything
/// (`1`, `true`, `yes`, `all`, `*`), or listed host names, addresses and networks
/// (`ollama.internal,10.0.0.5,192.168.10.0/24`).
public struct PrivateAddressAllowance: Sendable, Equatable {
    var allowsAll = false
    /// Lower-case host names (and literal addresses as written) allowed whatever they resolve to.
    var hosts: Set<String> = []
    var networks: [IPNetwork] = []

    static let none = PrivateAddressAllowance()

    /// Parses the variable's value; a failure names the first entry that is neither a host name,
    /// an address nor a network.
    static func parse(_ text: String?) -> Result<PrivateAddressAllowance, InvalidEntry> {
        let value = (text ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if ["", "0", "false", "no", "off", "none"].contains(value) { return .success(.none) }
        if ["1", "true", "yes", "on", "all", "*"].contains(value) { return .success(PrivateAddressAllowance(allowsAll: true)) }
        var allowance = PrivateAddressAllowance()
        for entry in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if let network = IPNetwork(entry) {
                allowance.networks.append(network)
            } else if entry.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }), entry.contains(where: \.isLetter) {
                allowance.hosts.insert(entry)
            } else {
                return .failure(InvalidEntry(entry: entry))
            }
        }
        return .success(allowance)
    }

    struct InvalidEntry: Error {
        var entry: String
    }
}
