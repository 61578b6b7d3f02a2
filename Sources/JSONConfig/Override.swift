/// One `--set 'path=value'`: a value put at a JSON path of a document before it is read.
///
/// Overrides edit the parsed tree, not the text, and the values they put there carry the override
/// as their position: the reader then checks them exactly as it checks the file, and an error in
/// one names the `--set` ("--set 'clients[0].cuont=4': clients[0].cuont: unknown key; did you
/// mean "count"?") instead of a line of a file the user did not write.
public struct Override: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    /// The path as written, such as `servers[1].policy.max_batch`.
    public let path: String
    public let steps: [Step]
    /// The value as written after `=`.
    public let valueText: String
    let value: JSONValue

    /// Where the override was written (`--set 'path=value'`, or a place in a sweep file).
    public let origin: String

    public static func == (a: Override, b: Override) -> Bool { a.path == b.path && a.valueText == b.valueText }

    /// `path=value`, as `--set` takes it and the runs table records it.
    public var assignment: String { "\(path)=\(valueText)" }

    /// Parses `path=value`. The value is JSON where it parses as JSON (`40`, `true`,
    /// `{"name": "fifo"}`, `"40"`), else the text itself as a string (`fifo`).
    public init(_ assignment: String) throws(ConfigError) {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw ConfigError(file: "--set", position: nil, path: "",
                              message: "'\(assignment)' must be path=value, as 'clients[0].count=40'")
        }
        try self.init(path: String(assignment[..<eq]), value: String(assignment[assignment.index(after: eq)...]))
    }

    public init(path: String, value: String, origin: String? = nil) throws(ConfigError) {
        self.path = path
        self.valueText = value
        let origin = origin ?? "--set '\(path)=\(value)'"
        self.origin = origin
        steps = try Self.steps(path, origin: origin)
        let parsed = (try? JSONParser.parse(value)) ?? JSONValue(.string(value), at: SourcePosition(line: 1, column: 1))
        self.value = parsed.repositioned(SourcePosition(origin: origin))
    }

    /// An override whose value is already a JSON tree (a sweep file's grid); `valueText` is its
    /// compact JSON. `origin` names it in errors (default: as a `--set`).
    public init(path: String, value: JSONValue, origin: String? = nil) throws(ConfigError) {
        self.path = path
        let text = value.compactText()
        self.valueText = text
        let origin = origin ?? "--set '\(path)=\(text)'"
        self.origin = origin
        steps = try Self.steps(path, origin: origin)
        self.value = value.repositioned(SourcePosition(origin: origin))
    }

    /// `a.b[2].c` → [.key(a), .key(b), .index(2), .key(c)].
    static func steps(_ path: String, origin: String) throws(ConfigError) -> [Step] {
        func bad(_ why: String) -> ConfigError {
            ConfigError(file: "--set", position: SourcePosition(origin: origin), path: "", message: "bad path \"\(path)\": \(why)")
        }
        var steps: [Step] = []
        var chars = Substring(path)
        var expectKey = true
        while !chars.isEmpty {
            if chars.first == "[" {
                guard let close = chars.firstIndex(of: "]") else { throw bad("'[' without ']'") }
                let digits = chars[chars.index(after: chars.startIndex)..<close]
                guard let i = Int(digits), i >= 0, String(i) == digits else {
                    throw bad("an index is a non-negative integer in brackets, as clients[0]")
                }
                steps.append(.index(i))
                chars = chars[chars.index(after: close)...]
                expectKey = false
            } else if chars.first == "." {
                guard !steps.isEmpty, !expectKey else { throw bad("empty key") }
                chars = chars.dropFirst()
                expectKey = true
            } else {
                guard expectKey else { throw bad("expected '.' or '[' after \(steps.count) steps") }
                let end = chars.firstIndex { $0 == "." || $0 == "[" } ?? chars.endIndex
                steps.append(.key(String(chars[..<end])))
                chars = chars[end...]
                expectKey = false
            }
        }
        if steps.isEmpty || expectKey { throw bad("empty key") }
        return steps
    }

    /// The document with this override applied. A missing key is added (the reader then says
    /// whether it is valid there); an index must exist; a path through a scalar is an error.
    public func apply(to document: ConfigNode) throws(ConfigError) -> ConfigNode {
        ConfigNode(try apply(document.value, from: 0, file: document.file), file: document.file)
    }

    private func apply(_ node: JSONValue, from i: Int, file: String) throws(ConfigError) -> JSONValue {
        if i == steps.count { return value }
        let here = SourcePosition(origin: origin)
        let prefix = Self.render(steps[..<i])
        func fail(_ message: String) -> ConfigError { ConfigError(file: file, position: here, path: prefix, message: message) }
        switch steps[i] {
        case .key(let key):
            let members: [JSONObject.Member]
            switch node.kind {
            case .object(let o): members = o.members
            case .null: members = []
            default: throw fail("is \(node.typeDescription), not an object: it has no key \"\(key)\"")
            }
            var out = members
            if let m = members.firstIndex(where: { $0.key == key }) {
                let old = members[m]
                out[m] = JSONObject.Member(key: key, keyPosition: old.keyPosition,
                                           value: try apply(old.value, from: i + 1, file: file))
            } else {
                let empty = JSONValue(.null, at: here)
                out.append(JSONObject.Member(key: key, keyPosition: here, value: try apply(empty, from: i + 1, file: file)))
            }
            return JSONValue(.object(JSONObject(members: out)), at: node.position)
        case .index(let index):
            guard case .array(var items) = node.kind else {
                throw fail("is \(node.typeDescription), not an array: it has no entry [\(index)]")
            }
            guard items.indices.contains(index) else {
                let range = items.isEmpty ? "it is empty" : "it has \(items.count) (indices 0–\(items.count - 1))"
                throw fail("no entry [\(index)]: \(range)")
            }
            items[index] = try apply(items[index], from: i + 1, file: file)
            return JSONValue(.array(items), at: node.position)
        }
    }

    static func render(_ steps: ArraySlice<Step>) -> String {
        var out = ""
        for step in steps {
            switch step {
            case .key(let k): out += out.isEmpty ? k : "." + k
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }
}

extension ConfigNode {
    /// The document with each override applied in order (a later one wins on the same path).
    public func applying(_ overrides: [Override]) throws(ConfigError) -> ConfigNode {
        var node = self
        for o in overrides { node = try o.apply(to: node) }
        return node
    }
}

extension JSONValue {
    /// The same value with every position (keys included) replaced by `position`.
    func repositioned(_ position: SourcePosition) -> JSONValue {
        switch kind {
        case .array(let items): return JSONValue(.array(items.map { $0.repositioned(position) }), at: position)
        case .object(let o):
            return JSONValue(.object(JSONObject(members: o.members.map {
                JSONObject.Member(key: $0.key, keyPosition: position, value: $0.value.repositioned(position))
            })), at: position)
        default: return JSONValue(kind, at: position)
        }
    }

    /// The value as JSON text, indented two spaces a level, numbers exactly as written, keys in
    /// document order: the canonical form of a document whatever its original layout, so that
    /// equal documents have equal text (and digest).
    public func canonicalText() -> String {
        var out = ""
        write(into: &out, indent: 0, pretty: true)
        return out + "\n"
    }

    /// The value as JSON on one line, for messages and labels.
    public func compactText() -> String {
        var out = ""
        write(into: &out, indent: 0, pretty: false)
        return out
    }

    private func write(into out: inout String, indent: Int, pretty: Bool) {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let close = pretty ? "\n" + String(repeating: "  ", count: indent) : ""
        let open = pretty ? "\n" : ""
        let comma = pretty ? ",\n" : ", "
        switch kind {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n.text
        case .string(let s): out += JSONOutput.quote(s)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            let flat = items.allSatisfy { if case .array = $0.kind { false } else if case .object = $0.kind { false } else { true } }
            if flat || !pretty {
                out += "[" + items.map { $0.compactText() }.joined(separator: ", ") + "]"
                return
            }
            out += "[" + open
            for (i, item) in items.enumerated() {
                out += pad
                item.write(into: &out, indent: indent + 1, pretty: pretty)
                if i + 1 < items.count { out += comma }
            }
            out += close + "]"
        case .object(let o):
            if o.members.isEmpty { out += "{}"; return }
            out += "{" + open
            for (i, m) in o.members.enumerated() {
                out += pad + JSONOutput.quote(m.key) + ": "
                m.value.write(into: &out, indent: indent + 1, pretty: pretty)
                if i + 1 < o.members.count { out += comma }
            }
            out += close + "}"
        }
    }
}

/// A 64-bit FNV-1a digest as 16 hex digits: names an effective scenario and seed so that a
/// resumed sweep recognises runs it already has. Not cryptographic; a collision between two
/// scenarios in one results database (odds about n²/2^65) would make a resume skip a run.
public enum Digest {
    public static func hex(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

extension ConfigNode {
    /// The value at a `--set`-style path (`clients[0].count`), or nil where the document has none.
    public func value(at path: String) -> JSONValue? {
        guard let steps = try? Override.steps(path, origin: path) else { return nil }
        var node = value
        for step in steps {
            switch (step, node.kind) {
            case (.key(let k), .object(let o)):
                guard let v = o[k] else { return nil }
                node = v
            case (.index(let i), .array(let items)):
                guard items.indices.contains(i) else { return nil }
                node = items[i]
            default: return nil
            }
        }
        return node
    }
}
