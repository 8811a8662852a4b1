import ArgumentParser
import Foundation
import MaiCore

/// `mai-agent healthcheck`: asks the running agent's `/health` on the loopback and exits 0 when it
/// answers 200. The container's HEALTHCHECK uses it, so the image needs no curl.
struct HealthCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healthcheck", abstract: "Exit 0 when the local agent answers /health (for container health checks).")

    @Option(help: "Port to ask (default: $PORT or 8080).")
    var port: Int?

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Int = 3

    func run() throws {
        let port = self.port ?? ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init) ?? 8080
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        let status = Self.statusLine(port: UInt16(port), timeout: timeout)
        guard let status, status.hasPrefix("HTTP/1.1 200") else {
            StandardError.write("unhealthy: \(status ?? "no answer on 127.0.0.1:\(port)")\n")
            throw ExitCode(1)
        }
        print("healthy")
    }

    /// The status line of `GET /health` on 127.0.0.1:`port`, or `nil` when nothing answers.
    static func statusLine(port: UInt16, timeout: Int) -> String? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        guard request.withCString({ send(descriptor, $0, strlen($0), 0) }) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self).components(separatedBy: "\r\n").first
    }
}
