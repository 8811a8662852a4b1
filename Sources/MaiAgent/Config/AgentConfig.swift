import Foundation
import MaiCore

/// Everything the agent reads from its environment, validated once at start-up.
///
/// Names follow Open WebUI's (the product mAI grew from) so existing habits carry over.
public struct AgentConfig: Sendable {
    /// `ENV`: `dev` prints readable logs, `prod` prints JSON lines.
    public enum Mode: String, Sendable, CaseIterable {
        case dev
        case prod
    }

    /// `PORT` (8080).
    public var port: Int
    /// `HOST` (127.0.0.1; the container sets 0.0.0.0).
    public var host: String
    /// `ENV` (dev).
    public var mode: Mode
    /// `WEBUI_NAME` (mAI).
    public var name: String
    /// `MAI_INSTANCE`: this instance's short name (the client's slug), used in the pseudonymous
    /// user ids sent upstream. Defaults to `WEBUI_NAME` reduced to letters, digits and dashes.
    public var instance: String
    /// `WEBUI_URL`, the address employees use; makes cookies `Secure` when it is https.
    public var publicURL: URL?
    /// `DATA_DIR` (./data).
    public var dataDirectory: String
    /// The SQLite file, from `DATABASE_URL` (sqlite:///path) or `DATA_DIR/webui.db`.
    public var databasePath: String
    /// `WEBUI_SECRET_KEY`; when unset, one is generated and kept in `DATA_DIR`.
    public var secretKey: Secret?
    /// `JWT_EXPIRES_IN` (15m): lifetime of an access token.
    public var jwtExpiresIn: TokenLifetime
    /// `REFRESH_TOKEN_EXPIRES_IN` (30d): lifetime of a refresh token.
    public var refreshTokenLifetime: TokenLifetime
    /// `ENABLE_SIGNUP` (true): whether the sign-up form is open before an admin decides.
    public var enableSignup: Bool
    /// `DEFAULT_USER_ROLE` (pending): the role of people who sign up once sign-up is re-opened.
    public var defaultUserRole: UserRole
    /// `DEFAULT_LOCALE` (en-US).
    public var defaultLocale: String
    /// `MARKUP_RATE` (1.3), kept as the exact decimal text it was given.
    public var markupRate: String
    /// `USAGE_SYNC_INTERVAL` (600 seconds).
    public var usageSyncInterval: Int
    /// `USAGE_REFRESH_SECONDS` (30): how often the usage dashboard refreshes.
    public var usageRefreshSeconds: Int
    /// `ADMIN_BIND` (127.0.0.1:8081): the fleet admin listener.
    public var adminBind: (host: String, port: Int)
    /// `MAI_FLEET_TOKEN`: bearer token of the fleet admin API.
    public var fleetToken: Secret?
    /// `CORS_ALLOW_ORIGIN`: origins allowed to call the API from a browser (`;`-separated), empty for none.
    public var corsAllowOrigins: [String]
    /// `FORWARDED_ALLOW_IPS` (127.0.0.1): proxies whose `X-Forwarded-For` is believed; `*` for any.
    public var forwardedAllowIPs: [String]
    /// `LOG_LEVEL` (info).
    public var logLevel: String
    /// Upstream provider settings, used from the chat issue on.
    public var providers: ProviderEnvironment
    /// bcrypt cost for new password hashes. Never below 12 in a running agent; tests may lower it.
    public var bcryptCost: UInt8 = 12
    /// Largest JSON body accepted, in bytes (1 MiB).
    public var maxJSONBodyBytes: Int = 1 << 20

    /// Reads and validates the configuration from `environment`.
    ///
    /// - Throws: `ConfigError` naming the first variable that is wrong, and what to set it to.
    public init(environment: [String: String]) throws(ConfigError) {
        let env = EnvironmentReader(environment)
        self.port = try env.port("PORT", default: 8080)
        self.host = env.string("HOST") ?? "127.0.0.1"
        self.mode = try env.choice("ENV", default: .dev)
        self.name = env.string("WEBUI_NAME") ?? "mAI"
        self.publicURL = try env.httpURL("WEBUI_URL")
        let slug = String((env.string("MAI_INSTANCE") ?? name).lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
        guard env.string("MAI_INSTANCE").map({ $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } && $0.count <= 40 }) ?? true else {
            throw ConfigError("MAI_INSTANCE", "must be a short name of letters, digits and dashes (the client's slug); got '\(env.string("MAI_INSTANCE")!)'")
        }
        self.instance = slug.isEmpty ? "mai" : slug
        self.dataDirectory = env.string("DATA_DIR") ?? "./data"
        self.databasePath = try Self.databasePath(env.string("DATABASE_URL"), dataDirectory: dataDirectory)
        if let key = env.string("WEBUI_SECRET_KEY") {
            guard key.utf8.count >= 32 else {
                throw ConfigError(
                    "WEBUI_SECRET_KEY",
                    "must be at least 32 characters long (got \(key.utf8.count)); unset it to let the agent generate one"
                )
            }
            self.secretKey = Secret(key)
        }
        self.jwtExpiresIn = try env.lifetime("JWT_EXPIRES_IN", default: .fifteenMinutes)
        self.refreshTokenLifetime = try env.lifetime("REFRESH_TOKEN_EXPIRES_IN", default: TokenLifetime(seconds: 30 * 86_400, text: "30d"))
        if refreshTokenLifetime.seconds == nil {
            throw ConfigError("REFRESH_TOKEN_EXPIRES_IN", "must be a duration such as 30d; refresh tokens always expire")
        }
        self.enableSignup = try env.bool("ENABLE_SIGNUP", default: true)
        self.defaultUserRole = try env.choice("DEFAULT_USER_ROLE", default: .pending)
        if defaultUserRole == .admin {
            throw ConfigError("DEFAULT_USER_ROLE", "cannot be admin; use pending or user and promote administrators one by one")
        }
        self.defaultLocale = env.string("DEFAULT_LOCALE") ?? "en-US"
        self.markupRate = try env.decimal("MARKUP_RATE", default: "1.3")
        self.usageSyncInterval = try env.integer("USAGE_SYNC_INTERVAL", default: 600, range: 10...86_400, unit: "seconds")
        self.usageRefreshSeconds = try env.integer("USAGE_REFRESH_SECONDS", default: 30, range: 1...3600, unit: "seconds")
        self.adminBind = try env.hostPort("ADMIN_BIND", default: ("127.0.0.1", 8081))
        self.fleetToken = env.string("MAI_FLEET_TOKEN").map(Secret.init)
        if let token = fleetToken, token.value.utf8.count < 32 {
            throw ConfigError("MAI_FLEET_TOKEN", "must be at least 32 characters (maictl generates one); got \(token.value.utf8.count)")
        }
        self.corsAllowOrigins = env.list("CORS_ALLOW_ORIGIN", separator: ";")
        self.forwardedAllowIPs = env.list("FORWARDED_ALLOW_IPS", separator: ",", default: ["127.0.0.1", "::1"])
        self.logLevel = try env.oneOf("LOG_LEVEL", ["trace", "debug", "info", "notice", "warning", "error", "critical"], default: "info")
        self.providers = try ProviderEnvironment(env)
    }

    /// Whether cookies must carry `Secure` (the public address is https).
    public var secureCookies: Bool { publicURL?.scheme?.lowercased() == "https" }

    static func databasePath(_ url: String?, dataDirectory: String) throws(ConfigError) -> String {
        guard let url else { return (dataDirectory as NSString).appendingPathComponent("webui.db") }
        let prefix = "sqlite:///"
        guard url.hasPrefix(prefix), url.count > prefix.count else {
            throw ConfigError("DATABASE_URL", "must be sqlite:///path/to/file.db (only SQLite is supported); got '\(url)'")
        }
        // sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
        return String(url.dropFirst(prefix.count))
    }
}
