/// What to do with a host key that is not pinned yet.
public enum HostKeyPolicy: Sendable, Equatable {
    /// Only pinned keys are accepted (the default: keys are pinned at provisioning).
    case strict
    /// An unknown server's key is pinned on first use. Changed keys are still refused.
    case pinOnFirstUse
    /// The operator has verified the server's fingerprint (`maictl hosts pin --fingerprint`): a
    /// key with exactly that fingerprint is pinned, replacing an earlier pin; any other is refused.
    case pinIfFingerprint(String)

    /// Whether the handshake asks for the pinned key's algorithm (not when re-pinning).
    var asksForPinnedAlgorithm: Bool {
        if case .pinIfFingerprint = self { return false }
        return true
    }

    /// The verdict on `presented` for `serverID`, given the pinned key (pure, so it is unit-tested).
    public func verdict(serverID: String, presented: HostKey, pinned: HostKey?) -> HostKeyVerdict {
        switch (pinned, self) {
        case (let pinned?, _) where pinned == presented: .accept
        case (_, .pinIfFingerprint(let verified)) where presented.fingerprint == verified: .pinAndAccept
        case (_, .pinIfFingerprint(let verified)):
            .reject(.fingerprintMismatch(serverID: serverID, verified: verified, presented: presented))
        case (let pinned?, _): .reject(.hostKeyChanged(serverID: serverID, expected: pinned, presented: presented))
        case (nil, .pinOnFirstUse): .pinAndAccept
        case (nil, .strict): .reject(.hostKeyUnknown(serverID: serverID, presented: presented))
        }
    }
}

/// The outcome of checking a host key.
public enum HostKeyVerdict: Sendable, Equatable {
    case accept
    case pinAndAccept
    case reject(SSHError)
}
