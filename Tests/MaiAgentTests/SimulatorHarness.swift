import Foundation
import Hummingbird
import Logging
import MaiSimulators
import Synchronization

@testable import MaiAgent

/// The OpenRouter, Anthropic and Gemini simulators on one free loopback port, in this process.
final class SimulatorHarness: Sendable {
    let openRouter: OpenRouterSimulator
    let port: Int
    private let task: Task<Void, any Error>

    var openRouterBase: String { "http://127.0.0.1:\(port)/api/v1" }
    /// Anthropic's and Gemini's paths (`/v1/messages`, `/v1beta/…`) hang off the root.
    var root: String { "http://127.0.0.1:\(port)" }

    private init(openRouter: OpenRouterSimulator, port: Int, task: Task<Void, any Error>) {
        self.openRouter = openRouter
        self.port = port
        self.task = task
    }

    /// The simulators with OpenRouter's `/generation` answering at once (tests add delays per key).
    static var immediateGenerations: OpenRouterConfiguration {
        var configuration = OpenRouterConfiguration.testing
        configuration.generationDelay = .zero
        return configuration
    }

    static func start(configuration: OpenRouterConfiguration = .testing, clock: SimulatorClock = .system) async throws -> SimulatorHarness {
        var logger = Logger(label: "sim")
        logger.logLevel = .critical
        let openRouter = OpenRouterSimulator(configuration: configuration, clock: clock, logger: logger)
        let router = Router()
        openRouter.addRoutes(to: router)
        AnthropicSimulator(logger: logger).addRoutes(to: router)
        GeminiSimulator(logger: logger).addRoutes(to: router)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
        return SimulatorHarness(openRouter: openRouter, port: port, task: task)
    }

    /// The simulators and an agent sharing one manual clock: both sides date a generation alike.
    static func withAgent(configuration: OpenRouterConfiguration = immediateGenerations) async throws -> (SimulatorHarness, TestAgent) {
        let clock = ManualClock()
        let manual = clock.clock
        let harness = try await start(configuration: configuration, clock: SimulatorClock(now: { manual.now }, sleep: { try await Task.sleep(for: $0) }))
        return (harness, try await TestAgent(environment: harness.environment(), clock: clock))
    }

    /// Environment for an agent whose providers are these simulators.
    func environment(anthropic: Bool = false, gemini: Bool = false) -> [String: String] {
        var env = [
            "OPENROUTER_API_KEY": "sk-or-v1-agent-test",
            "OPENROUTER_BASE_URL": openRouterBase,
            "MAI_INSTANCE": "acme",
            "UPSTREAM_READ_TIMEOUT": "15",
        ]
        if anthropic {
            env["ANTHROPIC_API_KEY"] = "sk-ant-test"
            env["ANTHROPIC_BASE_URL"] = root
        }
        if gemini {
            env["GEMINI_API_KEY"] = "gemini-test-key"
            env["GEMINI_BASE_URL"] = root
        }
        return env
    }

    func stop() {
        task.cancel()
    }

    deinit {
        task.cancel()
    }
}
