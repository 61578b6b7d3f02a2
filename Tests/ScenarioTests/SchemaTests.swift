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
