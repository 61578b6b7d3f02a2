/// A parsed JSON value that remembers where it stood in its file.
///
/// Foundation's `JSONSerialization` and `JSONDecoder` forget positions and key order; a
/// researcher with a typo in a 300-line scenario needs `file:line:column` and the JSON path,
/// so arsim parses its own inputs into this tree and decodes from it with `ConfigNode`.
public struct JSONValue: Sendable {
    public enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(JSONNumber)
        case string(String)
        case array([JSONValue])
        case object(JSONObject)
    }

    public let kind: Kind
    public let position: SourcePosition

    public init(_ kind: Kind, at position: SourcePosition) {
        self.kind = kind
        self.position = position
    }

    /// A short name of the value's JSON type, for error messages ("a string", "an object").
    public var typeDescription: String {
        switch kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A 1-based line and column in a source file, or, for a value given on the command line, the
/// override that set it (so an error in `--set` names the `--set`, not a line of the file).
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    /// `--set 'path=value'` where the value came from an override rather than the file.
    public let origin: String?

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
        self.origin = nil
    }

    public init(origin: String) {
        self.line = 0
        self.column = 0
        self.origin = origin
    }

    public var description: String { origin ?? "\(line):\(column)" }
}

/// A JSON number, kept as written so that integers beyond 2^53 (seeds) survive exactly.
public struct JSONNumber: Sendable {
    public let text: String
    public var double: Double { Double(text) ?? .nan }
    /// The value as an integer, when it is written as one (no fraction, no exponent).
    public var int64: Int64? { Int64(text) }
    public var uint64: UInt64? { UInt64(text) }
}

/// A JSON object with its members in document order.
public struct JSONObject: Sendable {
    public struct Member: Sendable {
        public let key: String
        public let keyPosition: SourcePosition
        public let value: JSONValue
    }

    public let members: [Member]

    public subscript(key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    public var keys: [String] { members.map(\.key) }
}
