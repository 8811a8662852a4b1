import Foundation
import Logging

/// Everything a request handler may reach: configuration, repositories, and the injected seams
/// (clock). One value per running agent; tests build their own.
public struct AgentServices: Sendable {
    public let config: AgentConfig
    public let database: AgentDatabase
    public let clock: AgentClock
    public let users: any UserRepository
    public let sessions: any SessionRepository
    public let apiKeys: any APIKeyRepository
    public let settings: SettingsReader
    public let tokens: TokenService
    public let hasher: PasswordHasher
    public let throttle: SignInThrottle
    public let metrics: AgentMetrics
    public let logger: Logger

    /// Opens and migrates the database, loads (or makes) the signing key, and wires the repositories.
    public init(
        config: AgentConfig,
        environment: [String: String],
        clock: AgentClock = .system,
        throttle: SignInThrottle = SignInThrottle(),
        logger: Logger = Logger(label: "mai.agent")
    ) async throws {
        let dataDirectory = try DataDirectory(preparing: config.dataDirectory)
        let secret = try dataDirectory.secretKey(configured: config.secretKey)
        let database = try AgentDatabase(path: config.databasePath)
        try database.migrate()
        self.config = config
        self.database = database
        self.clock = clock
        self.users = SQLiteUserRepository(pool: database.pool)
        self.sessions = SQLiteSessionRepository(pool: database.pool)
        self.apiKeys = SQLiteAPIKeyRepository(pool: database.pool)
        self.settings = SettingsReader(repository: SQLiteSettingsRepository(pool: database.pool), config: config, environment: environment)
        self.tokens = await TokenService(secret: secret, clock: clock)
        self.hasher = PasswordHasher(cost: config.bcryptCost)
        self.throttle = throttle
        self.metrics = AgentMetrics()
        self.logger = logger
    }

    var authenticator: Authenticator {
        Authenticator(tokens: tokens, sessions: sessions, apiKeys: apiKeys, settings: settings, clock: clock)
    }

    var accounts: AccountService {
        AccountService(users: users, sessions: sessions, settings: settings, tokens: tokens, hasher: hasher,
                       throttle: throttle, clock: clock, refreshLifetime: config.refreshTokenLifetime.seconds ?? 2_592_000)
    }
}
