import NIOCore

/// Splits a Server-Sent Events byte stream into events as bytes arrive, whatever the chunking.
///
/// Comment lines (`: OPENROUTER PROCESSING`) are keep-alives and produce nothing. `event:` names
/// the next event (Anthropic); `data:` lines accumulate until a blank line ends the event.
struct SSEParser {
    /// One complete event.
    struct Event: Equatable {
        var name: String?
        var data: String
    }

    private var pending: [UInt8] = []
    private var name: String?
    private var data: [String] = []
    /// Bytes seen in the current line, bounded so a hostile upstream cannot exhaust memory.
    static let maximumLineBytes = 8 << 20

    /// Feeds bytes; returns the events completed by them.
    mutating func feed(_ buffer: ByteBuffer) throws -> [Event] {
        var events: [Event] = []
        buffer.withUnsafeReadableBytes { raw in
            var start = 0
            for (index, byte) in raw.enumerated() where byte == UInt8(ascii: "\n") {
                pending.append(contentsOf: raw[start..<index])
                start = index + 1
                if let event = line(pending) { events.append(event) }
                pending.removeAll(keepingCapacity: true)
            }
            pending.append(contentsOf: raw[start...])
        }
        if pending.count > Self.maximumLineBytes { throw SSEError.lineTooLong }
        return events
    }

    /// Ends the stream: an event without its final blank line still counts.
    mutating func finish() -> Event? {
        if !pending.isEmpty, let event = line(pending) { return event }
        pending.removeAll()
        return dispatch()
    }

    private mutating func line(_ bytes: [UInt8]) -> Event? {
        var bytes = bytes[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == UInt8(ascii: ":") { return nil }
        let colon = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
        let field = String(decoding: bytes[..<colon], as: UTF8.self)
        var value = colon < bytes.endIndex ? bytes[bytes.index(after: colon)...] : []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch field {
        case "data": data.append(String(decoding: value, as: UTF8.self))
        case "event": name = String(decoding: value, as: UTF8.self)
        default: break
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        defer {
            data.removeAll(keepingCapacity: true)
            name = nil
        }
        guard !data.isEmpty else { return nil }
        return Event(name: name, data: data.joined(separator: "\n"))
    }
}

enum SSEError: Error {
    case lineTooLong
}
