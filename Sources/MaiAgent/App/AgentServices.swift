import Foundation
import Logging
import MaiCore

/// Everything a request handler may reach: configuration, repositories, and the injected seams
/// (clock). One value per running agent; tests build their own.
public struct AgentServices: Sendable {
    public let config: AgentConfig
    public let database: AgentDatabase
    public let clock: AgentClock
    public let users: any UserRepository
    public let sessions: any SessionRepository
    public let apiKeys: any APIKeyRepository
    public let chats: any ChatRepository
    public let settings: SettingsReader
    public let tokens: TokenService
    public let hasher: PasswordHasher
    public let throttle: SignInThrottle
    public let metrics: AgentMetrics
    public let logger: Logger
    /// When this agent started (for uptime).
    public let startedAt: Date
    let connections: ConnectionStore
    let catalog: ModelCatalog
    let providerFactory: ProviderFactory
    let generations: any GenerationRepository
    let book: UsageBook
    let budgets: Budgets
    let budgetGate: BudgetGate
    let retiredKeys: RetiredKeys
    let confirmations: ConfirmationService
    /// When each OpenRouter key was set (key age for maictl).
    let keySetTimes: KeySetTimes
    /// Completions streaming per OpenRouter key (a rotation drains the old key).
    let inFlight: InFlightCompletions
    /// Documents and knowledge (uploads, extraction, retrieval).
    let knowledge: KnowledgeService

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
        // A snapshot staged by PUT /admin/v1/restore replaces the database before it is opened.
        try DatabaseRestore.applyPending(databasePath: config.databasePath, dataDirectory: config.dataDirectory, logger: logger)
        let database = try AgentDatabase(path: config.databasePath)
        try database.migrate()
        self.config = config
        self.database = database
        self.clock = clock
        self.users = SQLiteUserRepository(pool: database.pool)
        self.sessions = SQLiteSessionRepository(pool: database.pool)
        self.apiKeys = SQLiteAPIKeyRepository(pool: database.pool)
        self.chats = SQLiteChatRepository(pool: database.pool)
        self.settings = SettingsReader(repository: SQLiteSettingsRepository(pool: database.pool), config: config, environment: environment)
        self.tokens = await TokenService(secret: secret, clock: clock)
        self.hasher = PasswordHasher(cost: config.bcryptCost)
        self.throttle = throttle
        self.metrics = AgentMetrics()
        self.logger = logger
        self.startedAt = clock.now
        self.connections = ConnectionStore(repository: SQLiteConnectionRepository(pool: database.pool), providers: config.providers,
                                           sealer: KeySealer(secret: secret), clock: clock)
        self.catalog = ModelCatalog(ttl: Int64(config.providers.modelsCacheSeconds), clock: clock, logger: logger)
        self.providerFactory = ProviderFactory(
            http: UpstreamHTTP(
                readTimeoutSeconds: config.providers.readTimeoutSeconds,
                outbound: OutboundPolicy(providers: config.providers, extraTrustedURLs: config.providers.embeddingBaseURL.map { [$0] } ?? [])
            ),
            referer: config.publicURL?.absoluteString, title: config.name
        )
        self.generations = SQLiteGenerationRepository(pool: database.pool)
        self.book = UsageBook(pool: database.pool)
        self.budgets = Budgets(pool: database.pool, book: book)
        let pool = database.pool
        let configuredMarkup = MarkupRate(decimal: config.markupRate) ?? .standard
        self.budgetGate = BudgetGate(budgets: budgets) {
            // Today's rate (fixed by the day's first booking), else the one in force.
            let today = UsageBook.day(clock.now)
            let text = try await pool.read { db in try String.fetchOne(db, sql: "SELECT markup_rate FROM usage_days WHERE day = ?", arguments: [today]) }
            return text.flatMap(MarkupRate.init(decimal:)) ?? configuredMarkup
        }
        self.retiredKeys = RetiredKeys(pool: database.pool, sealer: KeySealer(secret: secret))
        self.keySetTimes = KeySetTimes(pool: database.pool)
        self.inFlight = InFlightCompletions()
        self.confirmations = ConfirmationService(
            pool: database.pool, http: providerFactory.http, connections: connections, retiredKeys: retiredKeys, clock: clock,
            logger: logger, interval: .seconds(config.usageSyncInterval), instance: config.instance
        )
        self.knowledge = try KnowledgeService(pool: database.pool, dataDirectory: config.dataDirectory, http: providerFactory.http, environment: environment)
        let settingsReader = self.settings
        knowledge.start(
            settings: { KnowledgeSettings(stored: try await settingsReader.repository.storedValues(), environment: settingsReader.environment) },
            now: { clock.seconds }, logger: logger
        )
    }

    /// What only the serving agent does at start: record the markup in force from now on (each
    /// day's roll-up keeps the rate it started with) and mark answers that were streaming when the
    /// agent last stopped as interrupted. CLI commands running beside a live agent must not.
    public func prepareForServing() async throws {
        let now = clock.seconds
        let markup = config.markupRate
        try await database.pool.write { db in
            try SettingRecord(key: "MARKUP_RATE", value: markup, updatedAt: now, updatedBy: nil).save(db)
            try db.execute(sql: "UPDATE chat_messages SET status = 'interrupted', error = 'The agent restarted before the answer was complete.' WHERE status = 'streaming'")
            // Requests the last process sent and never finished: no longer on their way (a row
            // OpenRouter never named is then settled from its activity record), due for confirmation now.
            try db.execute(sql: """
                UPDATE generations SET next_attempt_at = 0, finish_reason = 'interrupted'
                WHERE finish_reason = 'streaming' AND status IN ('provisional', 'unverified')
                """)
        }
        try await knowledge.store.requeueInterrupted()
        await knowledge.worker.kick()
    }

    var authenticator: Authenticator {
        Authenticator(tokens: tokens, sessions: sessions, apiKeys: apiKeys, settings: settings, clock: clock)
    }

    var accounts: AccountService {
        AccountService(users: users, sessions: sessions, apiKeys: apiKeys, settings: settings, tokens: tokens, hasher: hasher,
                       throttle: throttle, clock: clock, refreshLifetime: config.refreshTokenLifetime.seconds ?? 2_592_000)
    }
}
