import Crypto
import Foundation
import MaiCore

/// Seals provider keys for storage (AES-GCM, key derived from `WEBUI_SECRET_KEY`): a copied
/// database file alone does not give away the company's provider keys.
struct KeySealer: Sendable {
    private let key: SymmetricKey

    init(secret: Secret) {
        self.key = SymmetricKey(data: SHA256.hash(data: Data("mai-connection-keys:\(secret.value)".utf8)))
    }

    func seal(_ plaintext: String) throws -> Data {
        guard let combined = try AES.GCM.seal(Data(plaintext.utf8), using: key).combined else {
            throw KeySealerError.cannotSeal
        }
        return combined
    }

    /// The key, or `nil` when it was sealed under another `WEBUI_SECRET_KEY`.
    func open(_ sealed: Data) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed), let data = try? AES.GCM.open(box, using: key) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

enum KeySealerError: Error {
    case cannotSeal
}
