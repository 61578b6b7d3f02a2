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
        for (definition, keys) in ScenarioFormat.objects {
            XCTAssertEqual(properties(defs, definition).map(Set.init), Set(keys), "$defs/\(definition)")
        }
    }

    /// Every policy of the four points, as "name" and its parameters.
    var policies: [(name: String, keys: [String])] {
        ServerPolicies.registry.entries.map { ($0.name, $0.parameters.map(\.key)) }
            + ClientPolicies.registry.entries.map { ($0.name, $0.parameters.map(\.key)) }
            + ClusterPolicies.registry.entries.map { ($0.name, $0.parameters.map(\.key)) }
            + AdmissionPolicies.registry.entries.map { ($0.name, $0.parameters.map(\.key)) }
            + SplitPolicies.registry.entries.map { ($0.name, $0.parameters.map(\.key)) }
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
                        let expected: Double? = key == "mean_deg_s" ? 1e5
                            : key.hasSuffix("_ms") ? Bounds.maxSeconds * 1e3
                            : key.hasSuffix("_s") ? Bounds.maxSeconds
                            : key.hasSuffix("_mbps") ? Bounds.maxBitsPerSecond / 1e6
                            : key.hasSuffix("_bytes") ? Double(Bounds.maxBytes)
                            : key == "count" || key == "queue_capacity" ? Double(Bounds.maxCount)
                            : key == "fps" || key == "arrival_rate_per_s" ? Bounds.maxRate
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
        for (name, keys) in policies {
            XCTAssertEqual(properties(defs, "policy_\(name)").map(Set.init), Set(["name"] + keys), "$defs/policy_\(name)")
        }
    }

    func testReferenceDocumentsEveryKeyAndPolicy() throws {
        let doc = try String(contentsOfFile: Repo.path("docs/scenario.md"), encoding: .utf8)
        for (definition, keys) in ScenarioFormat.objects {
            for key in keys { XCTAssertTrue(doc.contains("`\(key)`"), "docs/scenario.md lacks `\(key)` of \(definition)") }
        }
        for (name, keys) in policies {
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
