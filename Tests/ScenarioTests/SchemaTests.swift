import Foundation
import JSONConfig
import Policies
import Scenario
import XCTest

/// docs/scenario.schema.json (for editors), docs/scenario.md (for people) and the reader (for
/// arsim) describe the same format: these tests fail when one of them gains or loses a key.
final class SchemaTests: XCTestCase {
    func definitions() throws -> JSONObject {
        let text = try String(contentsOfFile: Repo.path("docs/scenario.schema.json"), encoding: .utf8)
        guard case .object(let root) = try JSONParser.parse(text).kind,
              case .object(let defs)? = root["$defs"]?.kind else { throw XCTSkip("schema has no $defs") }
        return defs
    }

    func properties(_ defs: JSONObject, _ name: String) -> [String]? {
        guard case .object(let def)? = defs[name]?.kind, case .object(let props)? = def["properties"]?.kind else { return nil }
        return props.keys
    }

    func testSchemaObjectsHaveExactlyTheReaderKeys() throws {
        let defs = try definitions()
        for format in ScenarioFormat.objects {
            XCTAssertEqual(properties(defs, format.definition).map(Set.init), Set(format.keys), "$defs/\(format.definition)")
        }
    }

    /// docs/scenario.schema.json is what `arsim schema` writes from the reader's declarations.
    func testCommittedSchemaIsGenerated() throws {
        let committed = try String(contentsOfFile: Repo.path("docs/scenario.schema.json"), encoding: .utf8)
        XCTAssertTrue(committed == ScenarioFormat.schema(),
                      "docs/scenario.schema.json is stale: run `.build/release/arsim schema > docs/scenario.schema.json`")
        let names = (ScenarioFormat.objects + ScenarioFormat.policies).map(\.definition)
        XCTAssertEqual(Set(names).count, names.count, "two definitions of one name: \(names)")
        // A policy name alone stands only for a policy whose parameters all have defaults.
        guard case .oneOf(let shapes)? = ScenarioFormat.site.field("dispatch")?.shape, case .choice(let bare)? = shapes.first else {
            return XCTFail("site.dispatch is not a policy")
        }
        XCTAssertEqual(bare, ["round_robin", "least_loaded"], "\"redundant\" needs copies, so it is never a bare name")
    }

    /// Every number a bundled scenario gives is read through its declaration: a value just
    /// outside the declared range, set by override, fails the load at that key's path.
    func testReaderRefusesValuesOutsideEveryDeclaredRange() throws {
        let file = Repo.path("Workloads/scenarios/ar-campus.json")
        var probes: [(path: String, value: Double)] = []
        Self.collect(try JSONParser.parse(String(contentsOfFile: file, encoding: .utf8)), .object("scenario"), "", into: &probes)
        XCTAssertGreaterThan(probes.count, 20)
        for probe in probes {
            let set = "\(probe.path)=\(probe.value)"
            do {
                _ = try Scenario.load(path: file, overrides: [try Override(set)])
                XCTFail("--set \(set) was accepted")
            } catch {
                XCTAssertEqual(error.path, probe.path, "--set \(set): \(error.description)")
            }
        }
    }

    static let formats = Dictionary(uniqueKeysWithValues: (ScenarioFormat.objects + ScenarioFormat.policies).map { ($0.definition, $0) })

    /// Values just below and above a quantity's declared range.
    static func outside(_ q: Quantity) -> [Double] {
        switch q {
        case .time(let unit, let positive):
            let max = Bounds.maxSeconds * (unit == .seconds ? 1 : unit == .milliseconds ? 1e3 : 1e6)
            return [positive ? 0 : -1, max * 2]
        case .real(let lower, let upper, let exclusive, _, _):
            return [exclusive ? lower : lower > 0 ? lower / 2 : lower - 1] + (upper.map { [$0 * 2 + 1] } ?? [])
        case .integer(let range, _):
            return [Double(range.lowerBound - 1)] + (range.upperBound == Int.max ? [] : [Double(range.upperBound) * 2])
        case .probability: return [-0.1, 1]
        }
    }

    /// The out-of-range probes of every declared number in `value`, found by walking the
    /// declarations from `shape` down.
    static func collect(_ value: JSONValue, _ shape: Shape, _ path: String, into probes: inout [(path: String, value: Double)]) {
        switch (shape, value.kind) {
        case (.number(let q), .number):
            for v in outside(q) { probes.append((path, v)) }
        case (.object(let definition), .object(let o)):
            guard let format = formats[definition] else { return }
            for m in o.members {
                guard let field = format.field(m.key) else { continue }
                collect(m.value, field.shape, path.isEmpty ? m.key : "\(path).\(m.key)", into: &probes)
            }
        case (.array(let item, _), .array(let items)):
            for (i, v) in items.enumerated() { collect(v, item, "\(path)[\(i)]", into: &probes) }
        case (.oneOf, .object(let o)):
            guard case .oneOf(let shapes) = shape else { return }
            if case .string(let name)? = o["name"]?.kind,
               let policy = shapes.lazy.compactMap({ s -> String? in if case .object(let d) = s, d.hasSuffix("_policy_\(name)") { d } else { nil } }).first {
                collect(value, .object(policy), path, into: &probes)
            } else {
                for case .object(let definition) in shapes where !definition.contains("_policy_") {
                    collect(value, .object(definition), path, into: &probes)
                }
            }
        default: break
        }
    }

    /// Every policy of the five points: its definition in the schema, its name and parameters.
    var policies: [(definition: String, name: String, keys: [String])] {
        func list<P, C>(_ r: PolicyRegistry<P, C>) -> [(definition: String, name: String, keys: [String])] {
            r.entries.map { (r.format($0).definition, $0.name, $0.parameters.map(\.key)) }
        }
        return list(ServerPolicies.registry) + list(ClientPolicies.registry) + list(ClusterPolicies.registry)
            + list(AdmissionPolicies.registry) + list(SplitPolicies.registry)
    }

    /// The schema's ranges are the reader's (`Bounds`): a time, rate, size or count the reader
    /// refuses, the schema refuses too, so an editor flags it before a run does.
    func testSchemaRangesAreTheReadersBounds() throws {
        var checked = 0
        func walk(_ value: JSONValue) {
            switch value.kind {
            case .object(let o):
                if case .object(let props)? = o["properties"]?.kind {
                    for key in props.keys {
                        guard case .object(let p)? = props[key]?.kind, case .number(let max)? = p["maximum"]?.kind else { continue }
                        let expected: Double? = key.hasSuffix("_deg_s") ? 1e5
                            : key == "fps" || key == "arrival_rate_per_s" ? Bounds.maxRate
                            : key.hasSuffix("_ms") ? Bounds.maxSeconds * 1e3
                            : key.hasSuffix("_s") ? Bounds.maxSeconds
                            : key.hasSuffix("_mbps") ? Bounds.maxBitsPerSecond / 1e6
                            : key.hasSuffix("_bytes") ? Double(Bounds.maxBytes)
                            : key == "count" || key == "queue_capacity" ? Double(Bounds.maxCount)
                            : key == "cv" ? Bounds.maxCV : nil
                        if let expected {
                            XCTAssertEqual(max.double, expected, "maximum of \(key)")
                            checked += 1
                        }
                    }
                }
                for key in o.keys { if let v = o[key] { walk(v) } }
            case .array(let items): items.forEach(walk)
            default: break
            }
        }
        let text = try String(contentsOfFile: Repo.path("docs/scenario.schema.json"), encoding: .utf8)
        walk(try JSONParser.parse(text))
        XCTAssertGreaterThan(checked, 30, "every time, rate, size and count in the schema has its range")
    }

    func testSchemaHasEveryPolicyWithItsParameters() throws {
        let defs = try definitions()
        for (definition, _, keys) in policies {
            XCTAssertEqual(properties(defs, definition).map(Set.init), Set(["name"] + keys), "$defs/\(definition)")
        }
    }

    func testReferenceDocumentsEveryKeyAndPolicy() throws {
        let doc = try String(contentsOfFile: Repo.path("docs/scenario.md"), encoding: .utf8)
        for format in ScenarioFormat.objects {
            for key in format.keys { XCTAssertTrue(doc.contains("`\(key)`"), "docs/scenario.md lacks `\(key)` of \(format.definition)") }
        }
        for (_, name, keys) in policies {
            XCTAssertTrue(doc.contains("`\(name)`"), "docs/scenario.md lacks policy `\(name)`")
            for key in keys { XCTAssertTrue(doc.contains("`\(key)`"), "docs/scenario.md lacks `\(key)`") }
        }
    }

    /// Where Python's jsonschema package is installed, every bundled scenario must validate
    /// against the schema, and the fixture with a misspelt key must not.
    func testBundledScenariosValidateAgainstSchema() throws {
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", "import jsonschema"]
        check.standardError = FileHandle.nullDevice
        do { try check.run() } catch { throw XCTSkip("python3 is not installed; schema validation skipped") }
        check.waitUntilExit()
        if check.terminationStatus != 0 { throw XCTSkip("python3 has no jsonschema package; schema validation skipped") }

        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-schema-bad-\(getpid()).json")
        try Fixture.replacing("\"fps\": 60", with: "\"fsp\": 60").write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        let script = """
            import json, sys, glob, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            for f in sorted(glob.glob(sys.argv[2] + '/*.json')):
                jsonschema.validate(json.load(open(f)), schema)
            try:
                jsonschema.validate(json.load(open(sys.argv[3])), schema)
                sys.exit('the misspelt fixture validated')
            except jsonschema.ValidationError:
                pass
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, Repo.path("docs/scenario.schema.json"), Repo.path("Workloads/scenarios"), bad.path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, message)
    }
}
