import Hummingbird
import Logging
import NIOCore

/// The agent's per-request context: who is asking (once authenticated) and from where.
public struct AgentRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated caller, set by `RequireRole`.
    public var identity: Identity?
    /// The socket peer (the proxy, when there is one); `nil` in router tests.
    public let remoteAddress: SocketAddress?
    /// Request id for logs and the `X-Request-Id` response header, set by `RequestIDMiddleware`.
    public var requestID: String = ""

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are decoded by `Request.decodeJSON`, which applies the configured limit itself.
    public var maxUploadSize: Int { 1 << 20 }

    /// The authenticated caller; routes behind `RequireRole` always have one.
    public func requireIdentity() throws -> Identity {
        guard let identity else { throw APIError.unauthenticated }
        return identity
    }
}

/// Who is making a request.
public struct Identity: Sendable {
    /// How the caller proved who they are.
    public enum Method: Sendable, Equatable {
        /// A JWT access token (cookie or bearer) of the sign-in session with this id.
        case session(id: String)
        /// A personal API key.
        case apiKey
    }

    public var user: UserRecord
    public var method: Method

    /// The session id, when authenticated with an access token.
    public var sessionID: String? {
        if case .session(let id) = method { return id }
        return nil
    }
}
