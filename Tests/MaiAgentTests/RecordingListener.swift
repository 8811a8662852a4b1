import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A stranger's server on a free loopback port: records every request that reaches it (method,
/// path, `Authorization`) and answers what the test set (by default a 500 with an internal HTML
/// page). Stands in for an attacker's URL or an internal service an admin points the agent at.
final class RecordingListener: Sendable {
    struct Seen: Sendable, CustomStringConvertible {
        var method: String
        var path: String
        var authorization: String?
        var description: String { "\(method) \(path) auth=\(authorization ?? "-")" }
    }

    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var contentType: String
        var body: String
        /// A `Location` header (for a redirect).
        var location: String? = nil

        static let internalPage = Answer(status: .internalServerError, contentType: "text/html",
                                         body: "<html><body>secret internal page: db password hunter2</body></html>")
        static func json(_ body: String, status: HTTPResponse.Status = .ok) -> Answer {
            Answer(status: status, contentType: "application/json", body: body)
        }
    }

    let port: Int
    private let requests: Mutex<[Seen]>
    private let current: Mutex<Answer>
    private let task: Mutex<Task<Void, any Error>?>

    var base: String { "http://127.0.0.1:\(port)" }
    var seen: [Seen] { requests.withLock { $0 } }

    /// Whether any request carried `secret` in its `Authorization` header.
    func received(secret: String) -> Bool {
        seen.contains { $0.authorization?.contains(secret) == true }
    }

    /// What every later request is answered with.
    func respond(with answer: Answer) {
        current.withLock { $0 = answer }
    }

    private init(port: Int) {
        self.port = port
        self.requests = Mutex([])
        self.current = Mutex(.internalPage)
        self.task = Mutex(nil)
    }

    static func start(answering answer: Answer = .internalPage) async throws -> RecordingListener {
        var logger = Logger(label: "listener")
        logger.logLevel = .critical
        let box = ListenerBox()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            guard let listener = box.listener.withLock({ $0 }) else { return Response(status: .serviceUnavailable) }
            listener.requests.withLock {
                $0.append(Seen(method: request.method.rawValue, path: request.uri.string, authorization: request.headers[.authorization]))
            }
            let answer = listener.current.withLock { $0 }
            var headers: HTTPFields = [.contentType: answer.contentType]
            if let location = answer.location { headers[.location] = location }
            return Response(status: answer.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer.body)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw CancellationError() }
        let listener = RecordingListener(port: port)
        listener.respond(with: answer)
        listener.task.withLock { $0 = task }
        box.listener.withLock { $0 = listener }
        return listener
    }

    /// Stops the server (the responder keeps the listener alive, so tests call this).
    func stop() {
        task.withLock { $0?.cancel() }
    }

    private final class ListenerBox: Sendable {
        let listener = Mutex<RecordingListener?>(nil)
    }
}
