/// A JSON value to write, with object keys in the order given: files that arsim writes (profiles,
/// the cost model) come out byte-identical from the same inputs, and diff well.
public indirect enum JSONOutput: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONOutput])
    case object([(String, JSONOutput)])

    public static func == (a: JSONOutput, b: JSONOutput) -> Bool { a.text() == b.text() }

    public static func optional(_ value: String?) -> JSONOutput { value.map { .string($0) } ?? .null }
    public static func optional(_ value: Int?) -> JSONOutput { value.map { .int($0) } ?? .null }
    public static func optional(_ value: Double?) -> JSONOutput { value.map { .double($0) } ?? .null }
    public static func numbers(_ values: [Double]) -> JSONOutput { .array(values.map { .double($0) }) }
    public static func integers(_ values: [Int]) -> JSONOutput { .array(values.map { .int($0) }) }

    /// The text, indented by one space per level; arrays of scalars stay on one line.
    public func text() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out += "\n"
        return out
    }

    /// The text on one line, as for a database column or a label.
    public func compactText() -> String {
        switch self {
        case .array(let items): return "[" + items.map { $0.compactText() }.joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.map { JSONOutput.quote($0.0) + ": " + $0.1.compactText() }.joined(separator: ", ") + "}"
        default:
            var out = ""
            write(into: &out, indent: 0)
            return out
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONOutput.format(d)
        case .string(let s): out += JSONOutput.quote(s)
        case .array(let items):
            if items.allSatisfy(\.isScalar) {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += ", " }
                    item.write(into: &out, indent: indent)
                }
                out += "]"
            } else {
                out += "[\n"
                for (i, item) in items.enumerated() {
                    out += String(repeating: " ", count: indent + 1)
                    item.write(into: &out, indent: indent + 1)
                    out += i + 1 < items.count ? ",\n" : "\n"
                }
                out += String(repeating: " ", count: indent) + "]"
            }
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (i, (key, value)) in members.enumerated() {
                out += String(repeating: " ", count: indent + 1) + JSONOutput.quote(key) + ": "
                value.write(into: &out, indent: indent + 1)
                out += i + 1 < members.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }
    }

    /// The shortest decimal that reads back as the same double; integral values without ".0".
    public static func format(_ d: Double) -> String {
        precondition(d.isFinite, "JSON has no NaN or infinity")
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
