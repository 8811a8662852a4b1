import HTTPTypes
import Hummingbird
import NIOCore

extension AgentRequestContext {
    /// The caller's address: the socket peer, or — when the peer is a trusted proxy — the last
    /// address in `X-Forwarded-For` (the one that proxy saw).
    func clientAddress(_ request: Request, trustedProxies: [String]) -> String {
        let peer = remoteAddress?.ipAddress ?? "unknown"
        guard trustedProxies.contains("*") || trustedProxies.contains(peer),
              let forwarded = request.headers[.xForwardedFor],
              let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
              !last.isEmpty
        else { return peer }
        return String(last.prefix(64))
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
