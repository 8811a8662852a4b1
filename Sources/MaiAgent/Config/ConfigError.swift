/// A configuration value that stops start-up. Its description is the one line the operator sees.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The environment variable at fault.
    public let variable: String
    /// What is wrong and what to do about it.
    public let message: String

    /// Creates an error for `variable`.
    public init(_ variable: String, _ message: String) {
        self.variable = variable
        self.message = message
    }

    /// `VARIABLE: message`, one line.
    public var description: String { "\(variable): \(message)" }
}
