/// Declarations of a file format: each object's keys, what each holds and its range. The reader
/// reads through them (`ConfigNode.object(_:)`, `ConfigObject.number(_:)`) and the JSON Schema
/// for editors is generated from them (`ObjectFormat.schema`), so the two cannot drift apart.

/// What a number stands for and the range it must fall in. Reading a number goes through
/// `read`, and the schema's minimum and maximum come from `schemaBounds`, both from one value.
public enum Quantity: Sendable, Equatable {
    /// A time in `unit`, read as whole nanoseconds (`TimeUnit.nanoseconds`).
    case time(TimeUnit, positive: Bool)
    /// A real number in [lower, upper] (upper nil: no limit; `exclusiveLower`: above lower),
    /// multiplied by `scale` when read (Mbit/s to bit/s); `what` names its unit in messages.
    case real(lower: Double, upper: Double?, exclusiveLower: Bool, scale: Double, what: String)
    /// An integer in `range` (an upper bound of Int.max: no limit).
    case integer(ClosedRange<Int>, what: String)
    /// A probability in [0, 1): a loss rate.
    case probability

    public static func real(_ range: ClosedRange<Double>, what: String = "") -> Quantity {
        .real(lower: range.lowerBound, upper: range.upperBound, exclusiveLower: false, scale: 1, what: what)
    }
    public static func integer(_ range: ClosedRange<Int>) -> Quantity { .integer(range, what: "") }
    public static let positiveReal = Quantity.real(lower: 0, upper: nil, exclusiveLower: true, scale: 1, what: "")
    public static let nonNegativeReal = Quantity.real(lower: 0, upper: nil, exclusiveLower: false, scale: 1, what: "")
    public static let positiveInteger = Quantity.integer(1...Int.max)
    public static let nonNegativeInteger = Quantity.integer(0...Int.max)
    public static let rate = Quantity.real(Bounds.minRate...Bounds.maxRate, what: " per second")
    public static let cv = Quantity.real(0...Bounds.maxCV)
    public static let bytes = Quantity.integer(0...Bounds.maxBytes, what: " bytes")
    public static let count = Quantity.integer(1...Bounds.maxCount)
    public static let megabitsPerSecond = Quantity.real(lower: Bounds.minBitsPerSecond / 1e6, upper: Bounds.maxBitsPerSecond / 1e6,
                                                        exclusiveLower: false, scale: 1e6, what: " Mbit/s")
    public static let gigabitsPerSecond = Quantity.real(lower: Bounds.minBitsPerSecond / 1e9, upper: Bounds.maxBitsPerSecond / 1e9,
                                                        exclusiveLower: false, scale: 1e9, what: " Gbit/s")

    public var isInteger: Bool {
        if case .integer = self { return true }
        return false
    }

    /// The value at `node` as this quantity: a time in nanoseconds, a scaled real or an integer,
    /// as a Double (`ConfigObject.time` and `int` read times and integers without it).
    public func read(_ node: ConfigNode) throws(ConfigError) -> Double {
        switch self {
        case .time: return Double(try readTime(node))
        case .integer: return Double(try readInt(node))
        case .probability:
            let p = try node.nonNegativeDouble()
            if p >= 1 { throw node.error("must be below 1 (a probability), got \(Suggestion.format(p))") }
            return p
        case .real(let lower, let upper, let exclusive, let scale, let what):
            if let upper {
                let d = try node.double(in: lower...upper, what: what)
                if exclusive && d == lower { throw node.error("must be greater than \(Suggestion.format(lower))\(what), got \(Suggestion.format(d))") }
                return d * scale
            }
            if exclusive && lower == 0 { return try node.positiveDouble() * scale }
            if lower == 0 { return try node.nonNegativeDouble() * scale }
            let d = try node.double(in: lower...Double.greatestFiniteMagnitude, what: what)
            if exclusive && d == lower { throw node.error("must be greater than \(Suggestion.format(lower))\(what), got \(Suggestion.format(d))") }
            return d * scale
        }
    }

    func readTime(_ node: ConfigNode) throws(ConfigError) -> Int64 {
        guard case .time(let unit, let positive) = self else { preconditionFailure("\(self) is not a time") }
        return try node.time(unit, positive: positive)
    }

    func readInt(_ node: ConfigNode) throws(ConfigError) -> Int {
        guard case .integer(let range, let what) = self else { preconditionFailure("\(self) is not an integer") }
        if range.upperBound == Int.max && range.lowerBound == 1 { return try node.positiveInt() }
        if range.upperBound == Int.max && range.lowerBound == 0 { return try node.nonNegativeInt() }
        return try node.int(in: range, what: what)
    }

    /// The JSON Schema members that state this range.
    public var schema: [(String, JSONOutput)] {
        switch self {
        case .time(let unit, let positive):
            // A positive time must be at least 1 ns once rounded; the schema says 1 ns.
            return [("type", .string("number")), ("minimum", positive ? .double(1 / unit.nanoseconds) : .int(0)),
                    ("maximum", .double(Bounds.maxSeconds * 1e9 / unit.nanoseconds))]
        case .real(let lower, let upper, let exclusive, _, _):
            var out: [(String, JSONOutput)] = [("type", .string("number")), (exclusive ? "exclusiveMinimum" : "minimum", Self.number(lower))]
            if let upper { out.append(("maximum", Self.number(upper))) }
            return out
        case .probability:
            return [("type", .string("number")), ("minimum", .int(0)), ("exclusiveMaximum", .int(1))]
        case .integer(let range, _):
            var out: [(String, JSONOutput)] = [("type", .string("integer")), ("minimum", .int(range.lowerBound))]
            if range.upperBound != Int.max { out.append(("maximum", .int(range.upperBound))) }
            return out
        }
    }

    static func number(_ d: Double) -> JSONOutput {
        d == d.rounded() && abs(d) < 1e15 ? .int(Int(d)) : .double(d)
    }
}

/// What one key of an object holds.
public indirect enum Shape: Sendable {
    /// Any string.
    case text
    /// A name: not empty, at most 200 characters, no control characters.
    case name
    case boolean
    case number(Quantity)
    /// One of these strings.
    case choice([String])
    /// An object of the format with this definition name.
    case object(String)
    case array(Shape, minItems: Int)
    /// Exactly one of these shapes.
    case oneOf([Shape])
    /// A JSON Schema fragment, as JSON text, for what the shapes above cannot say (a map whose
    /// keys are batch sizes); the reader checks it by hand.
    case schema(String)

    public static func array(_ item: Shape) -> Shape { .array(item, minItems: 0) }

    public func json() -> [(String, JSONOutput)] {
        switch self {
        case .text: return [("type", .string("string"))]
        case .name:
            return [("type", .string("string")), ("minLength", .int(1)), ("pattern", .string("^[^\\u0000-\\u001f\\u007f]+$")),
                    ("maxLength", .int(200))]
        case .boolean: return [("type", .string("boolean"))]
        case .number(let q): return q.schema
        case .choice(let names): return [("enum", .array(names.map { .string($0) }))]
        case .object(let definition): return [("$ref", .string("#/$defs/\(definition)"))]
        case .array(let item, let minItems):
            return [("type", .string("array"))] + (minItems > 0 ? [("minItems", .int(minItems))] : []) + [("items", .object(item.json()))]
        case .oneOf(let shapes): return [("oneOf", .array(shapes.map { .object($0.json()) }))]
        case .schema(let text):
            guard case .object(let members) = JSONOutput.parse(text) else { preconditionFailure("a schema fragment is an object: \(text)") }
            return members
        }
    }
}

/// One key of an object.
public struct Field: Sendable {
    public var key: String
    public var shape: Shape
    public var required: Bool
    public var help: String?
    /// The value taken when the key is absent, as JSON text, for editors.
    public var defaultValue: String?

    public init(_ key: String, _ shape: Shape, required: Bool = false, help: String? = nil, default defaultValue: String? = nil) {
        self.key = key
        self.shape = shape
        self.required = required
        self.help = help
        self.defaultValue = defaultValue
    }

    var schema: JSONOutput {
        var members = shape.json()
        if let help { members.insert(("description", .string(help)), at: members.firstIndex { $0.0 != "type" } ?? members.count) }
        if let defaultValue { members.append(("default", JSONOutput.parse(defaultValue))) }
        return .object(members)
    }
}

/// The keys of one object type, named as its JSON Schema definition.
public struct ObjectFormat: Sendable {
    public var definition: String
    public var help: String?
    public var fields: [Field]
    /// Rules across keys, as JSON Schema members in JSON text (`allOf`, `not`); the reader
    /// states each in code too.
    public var rules: String?

    public init(_ definition: String, help: String? = nil, _ fields: [Field], rules: String? = nil) {
        self.definition = definition
        self.help = help
        self.fields = fields
        self.rules = rules
    }

    public var keys: [String] { fields.map(\.key) }

    public func field(_ key: String) -> Field? { fields.first { $0.key == key } }

    /// This object as a JSON Schema definition: no keys but these, the required ones required.
    public var schema: JSONOutput {
        var members: [(String, JSONOutput)] = [("type", .string("object"))]
        if let help { members.append(("description", .string(help))) }
        members.append(("additionalProperties", .bool(false)))
        members.append(("properties", .object(fields.map { ($0.key, $0.schema) })))
        let required = fields.filter(\.required).map(\.key)
        if !required.isEmpty { members.append(("required", .array(required.map { .string($0) }))) }
        if let rules, case .object(let extra) = JSONOutput.parse(rules) { members += extra }
        return .object(members)
    }
}

extension ConfigNode {
    /// Reads an object of `format`: a key it does not declare is an error naming the nearest.
    public func object(_ format: ObjectFormat) throws(ConfigError) -> ConfigObject {
        var o = try object(keys: format.keys)
        o.format = format
        return o
    }
}

extension ConfigObject {
    /// The number at `key` read as its declared quantity, or nil where the key is absent.
    public func number(_ key: String) throws(ConfigError) -> Double? {
        guard let node = optional(key) else { return nil }
        return try quantity(key).read(node)
    }

    /// A declared time at `key` in nanoseconds, or nil where absent.
    public func time(_ key: String) throws(ConfigError) -> Int64? {
        guard let node = optional(key) else { return nil }
        return try quantity(key).readTime(node)
    }

    /// A declared integer at `key`, or nil where absent.
    public func int(_ key: String) throws(ConfigError) -> Int? {
        guard let node = optional(key) else { return nil }
        return try quantity(key).readInt(node)
    }

    /// The number at `key`, which the format requires.
    public func requiredNumber(_ key: String) throws(ConfigError) -> Double { try quantity(key).read(required(key)) }
    public func requiredTime(_ key: String) throws(ConfigError) -> Int64 { try quantity(key).readTime(required(key)) }
    public func requiredInt(_ key: String) throws(ConfigError) -> Int { try quantity(key).readInt(required(key)) }

    func quantity(_ key: String) -> Quantity {
        guard let field = format?.field(key), case .number(let q) = field.shape else {
            preconditionFailure("\(format?.definition ?? "an object read without a format") declares no number \"\(key)\"")
        }
        return q
    }
}

extension JSONOutput {
    /// A JSON text that the program itself wrote (a schema fragment, a default), as output.
    static func parse(_ text: String) -> JSONOutput {
        guard let value = try? JSONParser.parse(text) else { preconditionFailure("not JSON: \(text)") }
        return JSONOutput(value)
    }

    init(_ value: JSONValue) {
        switch value.kind {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .number(let n): self = n.int64.map { .int(Int($0)) } ?? .double(n.double)
        case .string(let s): self = .string(s)
        case .array(let items): self = .array(items.map(JSONOutput.init))
        case .object(let o): self = .object(o.members.map { ($0.key, JSONOutput($0.value)) })
        }
    }
}
