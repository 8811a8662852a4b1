/// A value read from a fleet file, with the line it starts on (1-based).
public struct TOMLValue: Sendable, Equatable {
    /// The kinds of value the fleet files use.
    public enum Kind: Sendable, Equatable {
        case string(String)
        case integer(Int)
        /// Kept as written: fleet files never need binary floating point, and validation says so.
        case float(String)
        case boolean(Bool)
        case array([TOMLValue])
    }

    /// The value.
    public var kind: Kind
    /// Line the value starts on.
    public var line: Int

    /// Creates a value.
    public init(_ kind: Kind, line: Int) {
        self.kind = kind
        self.line = line
    }

    /// The TOML type name, as used in validation messages ("a string", "an integer"…).
    public var typeDescription: String {
        switch kind {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        }
    }
}

/// One table of a fleet file (`[hetzner]`, or the root table before any header).
public struct TOMLTable: Sendable, Equatable {
    /// A key and its value, in file order.
    public struct Entry: Sendable, Equatable {
        /// The key.
        public var key: String
        /// Line of the key.
        public var line: Int
        /// The value.
        public var value: TOMLValue
    }

    /// Table name; empty for the root table.
    public var name: String
    /// Line of the `[name]` header; `nil` for the root table.
    public var line: Int?
    /// Entries in file order.
    public var entries: [Entry] = []

    /// Creates an empty table.
    public init(name: String, line: Int?) {
        self.name = name
        self.line = line
    }

    /// The entry for `key`, if present.
    public func entry(_ key: String) -> Entry? {
        entries.first { $0.key == key }
    }
}

/// A parsed fleet file: the root table and the named tables, in file order.
public struct TOMLDocument: Sendable, Equatable {
    /// Keys before the first table header.
    public var root: TOMLTable
    /// `[name]` tables in file order.
    public var tables: [TOMLTable]

    /// Creates a document.
    public init(root: TOMLTable = TOMLTable(name: "", line: nil), tables: [TOMLTable] = []) {
        self.root = root
        self.tables = tables
    }

    /// The table called `name`, if the file has one.
    public func table(_ name: String) -> TOMLTable? {
        tables.first { $0.name == name }
    }
}

/// A syntax error: the file cannot be read as TOML.
public struct TOMLSyntaxError: Error, Sendable, Equatable {
    /// 1-based line.
    public var line: Int
    /// What is wrong and what is expected.
    public var message: String

    /// Creates an error.
    public init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }
}
