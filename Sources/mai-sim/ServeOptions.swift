import ArgumentParser
import Foundation
import Hummingbird
import Logging

/// Options every `mai-sim` server shares.
struct ServeOptions: ParsableArguments {
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int

    @Option(name: .customLong("chunk-delay-ms"), help: "Pause between streamed chunks when a request sets no tps.")
    var chunkDelayMs = 10

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        guard chunkDelayMs >= 0 else { throw ValidationError("--chunk-delay-ms must be 0 or more.") }
    }

    /// Serves `router` until SIGTERM/SIGINT, printing `describe(baseURL)` once bound.
    func serve(_ router: Router<BasicRequestContext>, name: String, describe: @escaping @Sendable (String) -> String) async throws {
        var logger = Logger(label: "mai.sim.\(name)")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let host = self.host
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "mai-sim-\(name)"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                FileHandle.standardOutput.write(Data((describe("http://\(host):\(bound)") + "\n").utf8))
            },
            logger: logger)
        try await app.runService()
    }
}
