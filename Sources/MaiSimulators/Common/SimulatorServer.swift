import Hummingbird
import Logging

/// Runs a simulator router on a real port for the length of a closure — how tests and benchmarks
/// start a simulator in-process.
public enum SimulatorServer {
    /// The default logger: only critical messages (Hummingbird logs a cancelled accept loop at error
    /// level on every shutdown).
    public static var quietLogger: Logger {
        var logger = Logger(label: "mai.sim.server")
        logger.logLevel = .critical
        return logger
    }

    /// Serves `router` on `host:port` (`0` picks a free port), calls `body` with the base URL
    /// (`http://127.0.0.1:PORT`), then shuts the server down.
    public static func withRunning<Value: Sendable>(
        _ router: Router<BasicRequestContext>,
        host: String = "127.0.0.1",
        port: Int = 0,
        logger: Logger = SimulatorServer.quietLogger,
        _ body: @Sendable (String) async throws -> Value
    ) async throws -> Value {
        let (ports, portSource) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "mai-sim"),
            onServerRunning: { channel in
                portSource.yield(channel.localAddress?.port ?? port)
                portSource.finish()
            },
            logger: logger)
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask {
                try await app.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let bound = await iterator.next() else {
                group.cancelAll()
                throw CancellationError()
            }
            let value = try await body("http://\(host):\(bound)")
            group.cancelAll()
            while let _ = try? await group.next() {}
            return value
        }
    }
}
