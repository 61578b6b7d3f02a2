/// One mistake in an input file, said once and clearly: where (file, line, column, JSON path),
/// what was expected and, for an unknown key, the nearest valid one.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    public let file: String
    public let position: SourcePosition?
    /// The JSON path, such as `clients[2].fps`; empty for the document itself.
    public let path: String
    public let message: String

    public init(file: String, position: SourcePosition?, path: String, message: String) {
        self.file = file
        self.position = position
        self.path = path
        self.message = message
    }

    public var description: String {
        let location = position.map { $0.origin ?? "\(file):\($0)" } ?? file
        let text = path.isEmpty ? "\(location): \(message)" : "\(location): \(Suggestion.shorten(path, limit: 120)): \(message)"
        // One line, whatever a quoted value held: control characters are shown escaped.
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.flatMap { s -> [Unicode.Scalar] in
            s.value < 0x20 || s.value == 0x7f ? Array(s.escaped(asASCII: true).unicodeScalars) : [s]
        }))
    }
}

/// A JSON value together with its path and file, from which typed configuration is read.
///
/// Every accessor either returns a valid value or throws a `ConfigError` naming the path, so the
/// code that turns a scenario into a world reads like a list of fields and their constraints.
public struct ConfigNode: Sendable {
    public let value: JSONValue
    public let path: String
    public let file: String

    public init(_ value: JSONValue, path: String = "", file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    /// Parses a whole document; syntax errors carry the file name and position.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        do {
            return ConfigNode(try JSONParser.parse(text), file: file)
        } catch {
            throw ConfigError(file: file, position: error.position, path: "", message: "invalid JSON: \(error.message)")
        }
    }

    public func error(_ message: String) -> ConfigError {
        ConfigError(file: file, position: value.position, path: path, message: message)
    }

    func child(_ value: JSONValue, key: String) -> ConfigNode {
        ConfigNode(value, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    func child(_ value: JSONValue, index: Int) -> ConfigNode {
        ConfigNode(value, path: "\(path)[\(index)]", file: file)
    }

    // MARK: Scalars

    public func string() throws(ConfigError) -> String {
        guard case .string(let s) = value.kind else { throw error("expected a string, got \(value.typeDescription)") }
        return s
    }

    /// A name (of a scenario, an entity, a sweep or one of its points): names reach file names,
    /// stream names, tables and terminals, so one line of at most 200 characters, and not blank
    /// unless `allowingEmpty`.
    public func name(allowingEmpty: Bool = false) throws(ConfigError) -> String {
        let s = try string()
        if !allowingEmpty && s.trimmingCharacters(in: .whitespaces).isEmpty { throw error("must not be empty") }
        if s.count > 200 { throw error("a name has at most 200 characters, got \(s.count)") }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw error("a name must not contain control characters (a newline, a tab), got \"\(Suggestion.shorten(s))\"")
        }
        return s
    }

    public func bool() throws(ConfigError) -> Bool {
        guard case .bool(let b) = value.kind else { throw error("expected true or false, got \(value.typeDescription)") }
        return b
    }

    public func double() throws(ConfigError) -> Double {
        guard case .number(let n) = value.kind else { throw error("expected a number, got \(value.typeDescription)") }
        let d = n.double
        guard d.isFinite else { throw error("the number \(Suggestion.shorten(n.text)) is out of range") }
        return d
    }

    public func int() throws(ConfigError) -> Int {
        guard case .number(let n) = value.kind else { throw error("expected an integer, got \(value.typeDescription)") }
        if let i = n.int64 { return Int(i) }
        // A whole number written with a fraction or exponent (30.0, 1e3) is an integer, as JSON
        // Schema has it and as tools that write every number as a float produce it.
        let d = n.double
        guard d.isFinite, d == d.rounded(), abs(d) < 9.2e18 else { throw error("expected an integer, got \(Suggestion.shorten(n.text))") }
        return Int(d)
    }

    public func uint64() throws(ConfigError) -> UInt64 {
        guard case .number(let n) = value.kind else { throw error("expected a non-negative integer, got \(value.typeDescription)") }
        guard let u = n.uint64 else { throw error("expected a non-negative integer below 2^64, got \(n.text)") }
        return u
    }

    // MARK: Containers

    public func array() throws(ConfigError) -> [ConfigNode] {
        guard case .array(let items) = value.kind else { throw error("expected an array, got \(value.typeDescription)") }
        return items.enumerated().map { child($0.element, index: $0.offset) }
    }

    /// Reads an object whose keys must all be among `keys`; an unknown key is an error that
    /// names the nearest valid key.
    public func object(keys: [String]) throws(ConfigError) -> ConfigObject {
        let object = try anyObject()
        for member in object.members where !keys.contains(member.key) {
            let here = ConfigError(file: file, position: member.keyPosition,
                                   path: path.isEmpty ? member.key : "\(path).\(member.key)",
                                   message: Suggestion.unknownKey(member.key, valid: keys))
            throw here
        }
        return ConfigObject(node: self, object: object, format: nil)
    }

    /// Reads an object with arbitrary keys (a map such as a latency table).
    public func map() throws(ConfigError) -> [(key: String, node: ConfigNode)] {
        let object = try anyObject()
        return object.members.map { ($0.key, child($0.value, key: $0.key)) }
    }

    /// The member `key` of this object, read before its keys are checked (to pick a policy by
    /// name before knowing which parameters are valid). Nil if absent or not an object.
    public func peek(_ key: String) -> ConfigNode? {
        guard case .object(let o) = value.kind, let v = o[key] else { return nil }
        return child(v, key: key)
    }

    /// An object with no members at this node's place: lets a bare name stand for an object
    /// of parameters that all have defaults.
    public func emptyObject(_ format: ObjectFormat? = nil) -> ConfigObject {
        ConfigObject(node: self, object: JSONObject(members: []), format: format)
    }

    func anyObject() throws(ConfigError) -> JSONObject {
        guard case .object(let o) = value.kind else { throw error("expected an object, got \(value.typeDescription)") }
        return o
    }

    public var isNull: Bool {
        if case .null = value.kind { return true }
        return false
    }
}

/// The members of one JSON object, read by key.
public struct ConfigObject: Sendable {
    public let node: ConfigNode
    let object: JSONObject
    /// The declarations it was read against, through which its numbers are read.
    public internal(set) var format: ObjectFormat?

    public var path: String { node.path }

    public func has(_ key: String) -> Bool { object[key] != nil }

    /// The member `key`, or nil where it is absent (an explicit `null` counts as absent).
    public func optional(_ key: String) -> ConfigNode? {
        guard let v = object[key] else { return nil }
        if case .null = v.kind { return nil }
        return node.child(v, key: key)
    }

    public func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let n = optional(key) else { throw node.error("missing required key \"\(key)\"") }
        return n
    }

    public func error(_ message: String) -> ConfigError { node.error(message) }
}

/// Checks on numbers that name the rule broken.
extension ConfigNode {
    public func positiveDouble() throws(ConfigError) -> Double {
        let d = try double()
        guard d > 0 else { throw error("must be greater than 0, got \(Suggestion.format(d))") }
        return d
    }

    public func nonNegativeDouble() throws(ConfigError) -> Double {
        let d = try double()
        guard d >= 0 else { throw error("must not be negative, got \(Suggestion.format(d))") }
        return d
    }

    public func positiveInt() throws(ConfigError) -> Int {
        let i = try int()
        guard i > 0 else { throw error("must be at least 1, got \(i)") }
        return i
    }

    public func nonNegativeInt() throws(ConfigError) -> Int {
        let i = try int()
        guard i >= 0 else { throw error("must not be negative, got \(i)") }
        return i
    }

    /// A string that must be one of `choices`.
    public func choice(_ choices: [String]) throws(ConfigError) -> String {
        let s = try string()
        guard choices.contains(s) else { throw error(Suggestion.unknownName(s, kind: "value", valid: choices)) }
        return s
    }
}
