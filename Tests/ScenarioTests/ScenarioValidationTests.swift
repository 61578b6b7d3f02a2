import EdgeWorld
import JSONConfig
import Policies
import Scenario
import XCTest

/// Bad input gets one clear error: file, line and column, the JSON path, what was expected and,
/// for a misspelt key or name, the nearest valid one.
final class ScenarioValidationTests: XCTestCase {
    func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        do {
            _ = try Scenario.parse(text, file: "s.json")
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testValidFixtureBuildsTheWorld() throws {
        let s = try Scenario.parse(Fixture.valid, file: "s.json")
        XCTAssertEqual(s.name, "fixture")
        XCTAssertEqual(s.spec.seed, 7)
        XCTAssertEqual(s.spec.clients.map(\.name), ["phone-0", "phone-1", "phone-2", "glasses"])
        XCTAssertEqual(s.spec.clientGroups, ["phone", "glasses"])
        XCTAssertEqual(s.spec.clients[0].uplink.bitsPerSecond, 20e6)
        XCTAssertEqual(s.spec.clients[0].uplink.propagationDelay, 10_000_000)
        XCTAssertEqual(s.spec.clients[3].tasks[0].deadline, 50_000_000)
        XCTAssertEqual(s.spec.models[0].latency?.latency(batchSize: 2), 11_300_000)
        XCTAssertEqual(s.spec.drain, 10_000_000_000, "drain defaults to 10 s")
        XCTAssertEqual(s.spec.detail, .summary)
        XCTAssertEqual((s.spec.servers[0].policy as? FixedBatchPolicy)?.batchSize, 2)
    }

    /// The example of the issue: a misspelt key names its path and the key meant.
    func testUnknownKeySuggestsNearest() {
        let e = error(Fixture.replacing("\"fps\": 60", with: "\"fsp\": 60"))
        XCTAssertEqual(e?.path, "clients[1].fsp")
        XCTAssertEqual(e?.message, "unknown key; did you mean \"fps\"?")
        XCTAssertEqual(e?.position?.line, 15)
        XCTAssertEqual(e?.description, "s.json:15:46: clients[1].fsp: unknown key; did you mean \"fps\"?")
    }

    func testUnknownKeyFarFromAnyListsValidKeys() {
        let e = error(Fixture.replacing("\"gpus\": 1,", with: "\"colour\": \"red\", \"gpus\": 1,"))
        XCTAssertEqual(e?.path, "servers[0].colour")
        XCTAssertTrue(e!.message.hasPrefix("unknown key; valid keys here are \"name\", \"site\", \"gpu\""), e!.message)
    }

    func testPhysicallyImpossibleValuesAreErrors() {
        let cases: [(String, String, String, String)] = [
            ("\"uplink_mbps\": 20, \"downlink_mbps\": 50, \"delay_ms\": 10", "\"uplink_mbps\": -20, \"downlink_mbps\": 50, \"delay_ms\": 10",
             "clients[0].network.uplink_mbps", "must be between 0.001 and 10000000 Mbit/s, got -20"),
            ("\"fps\": 30", "\"fps\": 0", "clients[0].fps", "must be between 1e-05 and 1000000 per second, got 0"),
            ("\"deadline_ms\": 100", "\"deadline_ms\": -5", "clients[0].deadline_ms", "must be greater than 0 ms, got -5"),
            ("\"gpus\": 1", "\"gpus\": 0", "servers[0].gpus", "must be between 1 and 65536, got 0"),
            ("\"duration_s\": 2", "\"duration_s\": 0", "duration_s", "must be greater than 0 s, got 0"),
            ("\"frame_bytes\": 30000", "\"frame_bytes\": 30000.5", "clients[0].frame_bytes", "expected an integer, got 30000.5"),
            ("\"delay_ms\": 10", "\"delay_ms\": -1", "clients[0].network.delay_ms", "must be at least 0 ms, got -1"),
            ("{\"1\": 10.7,", "{\"1\": 0,", "models[0].latency_ms.1", "must be greater than 0 ms, got 0"),
            // Values that parse but no 64-bit nanosecond or byte count can hold (issue 9).
            ("\"duration_s\": 2", "\"duration_s\": 1e300", "duration_s", "must be at most 100000000 s (about 3 years), got 1e+300"),
            ("\"deadline_ms\": 100", "\"deadline_ms\": 1e-7", "clients[0].deadline_ms",
             "1e-07 ms rounds to 0 ns; give at least 1 ns (1e-06 ms)"),
            ("\"uplink_mbps\": 20,", "\"uplink_mbps\": 1e-9,", "clients[0].network.uplink_mbps", "must be between 0.001 and 10000000 Mbit/s, got 1e-09"),
            ("\"fps\": 30", "\"fps\": 1e-300", "clients[0].fps", "must be between 1e-05 and 1000000 per second, got 1e-300"),
            ("\"frame_bytes\": 30000", "\"frame_bytes\": 9223372036854775807", "clients[0].frame_bytes",
             "must be between 0 and 10000000000 bytes, got 9223372036854775807"),
            ("\"gpus\": 1", "\"gpus\": 4294967296", "servers[0].gpus", "must be between 1 and 65536, got 4294967296"),
            ("{\"1\": 10.7,", "{\"1\": 1e300,", "models[0].latency_ms.1", "must be at most 100000000000 ms (about 3 years), got 1e+300"),
        ]
        for (old, new, path, message) in cases {
            let e = error(Fixture.replacing(old, with: new))
            XCTAssertEqual(e?.path, path, new)
            XCTAssertEqual(e?.message, message, new)
        }
    }

    func testBatchSizeMissingFromLatencyTable() {
        let e = error(Fixture.replacing("\"batch_size\": 2", with: "\"batch_size\": 8"))
        XCTAssertEqual(e?.path, "servers[0].policy.batch_size")
        XCTAssertEqual(e?.message, "batch size 8 is not in the latency table of model \"resnet50\" (it has 1, 2, 4)")
    }

    func testFIFONeedsBatchSizeOne() {
        var text = Fixture.replacing("{\"name\": \"fixed_batch\", \"batch_size\": 2}", with: "\"fifo\"")
        text = text.replacingOccurrences(of: "{\"1\": 10.7, \"2\": 11.3, \"4\": 12.7}", with: "{\"2\": 11.3}")
        let e = error(text)
        XCTAssertEqual(e?.path, "servers[0].policy")
        XCTAssertEqual(e?.message, "batch size 1 is not in the latency table of model \"resnet50\" (it has 2)")
    }

    func testUnknownPolicyListsKnownOnes() {
        let e = error(Fixture.replacing("\"name\": \"fixed_batch\"", with: "\"name\": \"fixed_bacth\""))
        XCTAssertEqual(e?.path, "servers[0].policy.name")
        XCTAssertEqual(e?.message, "unknown server policy \"fixed_bacth\"; did you mean \"fixed_batch\"? (known: \"fifo\", \"fixed_batch\", \"dynamic_batch\", \"edf\", \"aimd_batch\", \"slo_batch\", \"arise\", \"deeprt\")")
    }

    func testParameterOfAnotherPolicyIsAnError() {
        let e = error(Fixture.replacing("\"batch_size\": 2", with: "\"batch_size\": 2, \"max_batch\": 4"))
        XCTAssertEqual(e?.path, "servers[0].policy.max_batch")
        XCTAssertTrue(e!.message.hasPrefix("unknown key"))
    }

    func testUnknownModelNameSuggestsNearest() {
        let e = error(Fixture.replacing("{\"name\": \"glasses\", \"model\": \"resnet50\"", with: "{\"name\": \"glasses\", \"model\": \"resnet05\""))
        XCTAssertEqual(e?.path, "clients[1].model")
        XCTAssertEqual(e?.message, "unknown model \"resnet05\"; did you mean \"resnet50\"? (known: \"resnet50\")")
    }

    func testWrongTypeSaysWhatWasExpected() {
        let e = error(Fixture.replacing("\"fps\": 30", with: "\"fps\": \"30\""))
        XCTAssertEqual(e?.path, "clients[0].fps")
        XCTAssertEqual(e?.message, "expected a number, got a string")
    }

    func testMissingRequiredKey() {
        let e = error(Fixture.replacing("\"deadline_ms\": 50,", with: ""))
        XCTAssertEqual(e?.path, "clients[1]")
        XCTAssertEqual(e?.message, "missing required key \"deadline_ms\"")
    }

    func testJitterMustStayBelowFrameInterval() {
        let e = error(Fixture.replacing("\"fps\": 30", with: "\"fps\": 30, \"jitter_ms\": 40"))
        XCTAssertEqual(e?.path, "clients[0].jitter_ms")
        XCTAssertTrue(e!.message.hasPrefix("must be less than the frame interval (33.333333333333336 ms at 30 fps)"), e!.message)
    }

    func testPoissonTakesNoJitter() {
        let e = error(Fixture.replacing("\"fps\": 30", with: "\"fps\": 30, \"arrivals\": \"poisson\", \"jitter_ms\": 1"))
        XCTAssertEqual(e?.path, "clients[0].jitter_ms")
    }

    func testDuplicateNames() {
        let e = error(Fixture.replacing("\"name\": \"glasses\"", with: "\"name\": \"phone-1\""))
        XCTAssertEqual(e?.path, "clients[1].name")
        XCTAssertTrue(e!.message.contains("also produced by the entry \"phone\""), e!.message)
    }

    func testWarmupMustBeShorterThanDuration() {
        let e = error(Fixture.replacing("\"duration_s\": 2", with: "\"duration_s\": 2, \"warmup_s\": 3"))
        XCTAssertEqual(e?.path, "warmup_s")
    }

    func testSeedAbove2To63IsRejected() {
        let e = error(Fixture.replacing("\"seed\": 7", with: "\"seed\": 18446744073709551615"))
        XCTAssertEqual(e?.path, "seed")
    }

    func testSyntaxErrorsNameLineAndColumn() {
        let e = error("{\n  \"name\": \"x\",\n  \"seed\": 1,,\n}")
        XCTAssertEqual(e?.position, SourcePosition(line: 3, column: 13))
        XCTAssertEqual(e?.message, "invalid JSON: unexpected character ','; expected a key in double quotes")
        let dup = error("{\"name\": \"a\",\n \"name\": \"b\"}")
        XCTAssertEqual(dup?.message, "invalid JSON: duplicate key \"name\" (first at line 1)")
        XCTAssertEqual(dup?.position, SourcePosition(line: 2, column: 2))
    }

    func testMissingFileIsAnInputError() {
        do {
            _ = try Scenario.load(path: "/nonexistent/scenario.json")
            XCTFail()
        } catch {
            XCTAssertEqual(error.description, "/nonexistent/scenario.json: cannot read the file (no such file)")
        }
    }

    func testBundledScenariosAreValid() throws {
        let dir = Repo.path("Workloads/scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertTrue(files.contains("quickstart.json"))
        for f in files { XCTAssertNoThrow(try Scenario.load(path: "\(dir)/\(f)"), f) }
    }
}
