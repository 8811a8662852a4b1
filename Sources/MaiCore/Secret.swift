/// A value that must never be printed or logged: its descriptions are always `[REDACTED]`.
///
/// Read the wrapped value only where it is used (an HTTP header, a hash), never to show it.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself.
    public let value: String

    /// Wraps a secret value.
    public init(_ value: String) {
        self.value = value
    }

    /// Always `[REDACTED]`.
    public var description: String { "[REDACTED]" }
    /// Always `[REDACTED]`.
    public var debugDescription: String { "[REDACTED]" }
}
