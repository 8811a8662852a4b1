/// Why provisioning could not go on; each message says what to do.
public enum ProvisionError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingTemplate(path: String)
    case invalidTemplate(path: String, reason: String)
    case userDataTooLarge(bytes: Int)
    case sshKeyMissing(name: String)
    case fixedHost(slug: String)
    case duplicateServers(slug: String, ids: [Int])
    case nameTaken(slug: String, id: Int)
    case noServer(slug: String)

    public var description: String {
        switch self {
        case .missingTemplate(let path):
            "template \(path) not found: put it in the --templates directory, or leave --templates out to use the built-in templates"
        case .invalidTemplate(let path, let reason):
            "template \(path) is not valid Mustache: \(reason)"
        case .userDataTooLarge(let bytes):
            "cloud-init user data is \(bytes) bytes; Hetzner accepts at most 32 KiB — shorten the cloud-init template"
        case .sshKeyMissing(let name):
            "SSH key \"\(name)\" is not in the Hetzner project and maictl has no public key to upload: "
                + "upload it (hcloud ssh-key create --name \(name) --public-key-from-file KEY.pub) or set MAICTL_SSH_KEY to a key file with a .pub beside it"
        case .fixedHost(let slug):
            "\(slug) has host = … in its client file: it runs on an existing machine, not a Hetzner server — remove host to provision it"
        case .duplicateServers(let slug, let ids):
            "\(slug) has \(ids.count) servers labelled mai/client=\(slug) (ids \(ids.map(String.init).joined(separator: ", "))): delete the extra ones in the Hetzner console"
        case .nameTaken(let slug, let id):
            "a server named \(slug) (id \(id)) exists without the label mai/client=\(slug): adopt it with "
                + "`hcloud server add-label \(id) mai/client=\(slug) mai/managed=true`, or delete or rename it"
        case .noServer(let slug):
            "\(slug) has no Hetzner server labelled mai/client=\(slug)"
        }
    }
}
