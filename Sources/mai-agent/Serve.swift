import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MaiAgent
import MaiCore

/// `mai-agent serve`: migrate, then serve until SIGTERM/SIGINT, draining requests in flight.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web application (the default).")

    func run() async throws {
        // A log reader that goes away (a closed pipe on stderr) must not stop the server: writes
        // to it fail with EPIPE and the line is dropped (StandardError).
        signal(SIGPIPE, SIG_IGN)
        let config = Startup.config()
        let logger = Startup.bootstrapLogging(config)
        let services = await Startup.services(config, logger: logger)
        try await services.prepareForServing()
        let app = buildApplication(services: services) { channel in
            logger.info("mai-agent listening", metadata: [
                "version": .string(MaiVersion.current),
                "address": .string("http://\(config.host):\(channel.localAddress?.port ?? config.port)"),
            ])
        }
        do {
            try await app.runService()
        } catch {
            logger.critical("mai-agent stopped", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        logger.info("mai-agent stopped cleanly")
    }
}
