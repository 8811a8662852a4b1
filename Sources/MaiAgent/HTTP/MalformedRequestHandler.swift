import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request the HTTP parser rejects — a control character in a header, a broken request
/// line — with the same JSON `{"detail"}` 400 as every other error, then closes the connection.
/// Hummingbird's own answer is an empty 400 with no content type, which no client can explain to
/// anyone (schemathesis found it through generated cookies).
///
/// It sits after the HTTP codec, so it sees the parser's error before the request loop does. Requests
/// read before the bad one (pipelined) are answered first: the 400 waits for their responses. An
/// error in the middle of a request's body is passed on unchanged (the request loop owns it).
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let detail = "The request is not valid HTTP (for example a control character in a header or a broken request line). Send it again with valid headers."
    /// Requests read whose response has not ended.
    private var unanswered = 0
    /// A request's head was read and its end not yet.
    private var readingBody = false
    /// The parser failed; the 400 goes out once `unanswered` is 0.
    private var malformed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            unanswered += 1
            readingBody = true
        case .end: readingBody = false
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd = if case .end = unwrapOutboundIn(data) { true } else { false }
        context.write(data, promise: promise)
        if isEnd {
            unanswered -= 1
            if malformed && unanswered == 0 { answer(context) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !readingBody, !malformed else {
            context.fireErrorCaught(error)
            return
        }
        malformed = true
        if unanswered == 0 { answer(context) }
    }

    private func answer(_ context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 256)
        buffer.writeString(#"{"detail":"\#(Self.detail)"}"#)
        let head = HTTPResponse(status: .badRequest, headerFields: [
            .contentType: "application/json; charset=utf-8", .contentLength: String(buffer.readableBytes), .connection: "close",
        ])
        unanswered = .max  // nothing after this
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
