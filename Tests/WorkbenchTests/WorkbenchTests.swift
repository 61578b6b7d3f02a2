import Foundation
import JSONConfig
import ResultsStore
import Runner
import Scenario
import Workbench
import XCTest

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

let smallWorld = """
    {"name": "small", "seed": 3, "duration_s": 2, "warmup_s": 0.5,
     "models": [{"name": "m", "latency_ms": {"1": 4, "2": 5, "4": 7}}],
     "servers": [{"name": "edge", "gpus": 1, "policy": {"name": "dynamic_batch", "max_batch": 4, "max_queue_delay_ms": 2},
                  "variability": "exponential"}],
     "clients": [{"name": "p", "count": 4, "model": "m", "fps": 30, "deadline_ms": 50, "frame_bytes": 20000,
                  "result_bytes": 100, "network": {"uplink_mbps": 30, "downlink_mbps": 60, "delay_ms": 5}}]}
    """

final class OverrideTests: XCTestCase {
    func testOverrideSetsValuesAddsKeysAndIsCheckedLikeTheFile() throws {
        let plain = try Scenario.parse(smallWorld, file: "w.json")
        let s = try Scenario.parse(smallWorld, file: "w.json", overrides: [
            Override("clients[0].count=9"), Override("servers[0].policy={\"name\": \"fifo\"}"), Override("drain_s=1.5"),
            Override("name=renamed"),
        ])
        XCTAssertEqual(s.spec.clients.count, 9)
        XCTAssertEqual(plain.spec.clients.count, 4)
        XCTAssertEqual(s.spec.drain, 1_500_000_000)
        XCTAssertEqual(s.name, "renamed", "a bare word is a string")
        XCTAssertNotEqual(s.digest, plain.digest)
        XCTAssertTrue(s.text.contains("\"count\": 9"), "the effective scenario is recorded")

        func error(_ set: String) -> String {
            do {
                _ = try Scenario.parse(smallWorld, file: "w.json", overrides: [Override(set)])
                return "no error"
            } catch { return error.description }
        }
        XCTAssertEqual(error("clients[0].cuont=4"),
                       "--set 'clients[0].cuont=4': clients[0].cuont: unknown key; did you mean \"count\"?")
        XCTAssertEqual(error("clients[2].count=4"), "--set 'clients[2].count=4': clients: no entry [2]: it has 1 (indices 0–0)")
        XCTAssertEqual(error("clients[0].count=many"), "--set 'clients[0].count=many': clients[0].count: expected an integer, got a string")
        XCTAssertEqual(error("clients[0].fps.x=1"), "--set 'clients[0].fps.x=1': clients[0].fps: is a number, not an object: it has no key \"x\"")
        XCTAssertTrue(error("clients[0]count=1").contains("bad path"))
        XCTAssertTrue(error("servers[0].policy.name=fifoo").contains("did you mean \"fifo\""))
    }

    func testDigestIgnoresLayoutButNotValuesOrSeed() throws {
        let a = try Scenario.parse(smallWorld, file: "a.json")
        let compact = smallWorld.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "  ", with: " ")
        let b = try Scenario.parse(compact, file: "b.json")
        XCTAssertEqual(a.digest, b.digest, "the same document laid out differently")
        let c = try Scenario.parse(smallWorld, file: "a.json", overrides: [Override("clients[0].count=4")])
        XCTAssertEqual(a.digest, c.digest, "setting a value to what it was changes nothing")
        var d = a
        d.spec.seed = 4
        XCTAssertNotEqual(a.digest, d.digest)
    }

    /// A file the scenario reads is part of its digest: change a trace, and a resumed sweep
    /// no longer takes old runs for new ones.
    func testDigestCoversTheFilesTheScenarioReads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trace = dir.appendingPathComponent("up.csv")
        try "time_s,mbps\n0,20\n1,30\n".write(to: trace, atomically: true, encoding: .utf8)
        let text = smallWorld.replacingOccurrences(of: "\"uplink_mbps\": 30",
                                                   with: "\"uplink_trace\": {\"file\": \"up.csv\", \"format\": \"csv\"}")
        let path = dir.appendingPathComponent("w.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let first = try Scenario.load(path: path)
        XCTAssertTrue(first.inputFiles.contains { $0.path.hasSuffix("up.csv") }, "\(first.inputFiles.map(\.path))")
        XCTAssertEqual(try Scenario.load(path: path).digest, first.digest)
        try "time_s,mbps\n0,20\n1,31\n".write(to: trace, atomically: true, encoding: .utf8)
        XCTAssertNotEqual(try Scenario.load(path: path).digest, first.digest)
    }
}

final class StatisticsTests: XCTestCase {
    func testStudentTIntervalMatchesHandComputation() throws {
        // Values 1, 2, 3, 4: mean 2.5, s = sqrt(5/3), t(0.975, 3) = 3.182.
        let e = try XCTUnwrap(Estimate([1, 2, 3, 4]))
        XCTAssertEqual(e.mean, 2.5)
        XCTAssertEqual(e.stddev!, (5.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(e.halfWidth!, 3.182 * (5.0 / 3).squareRoot() / 2, accuracy: 1e-12)
        XCTAssertNil(Estimate([7])?.halfWidth)
        XCTAssertNil(Estimate([]))
        // The expansion beyond the table stays within 0.001 of published quantiles.
        XCTAssertEqual(Estimate.t975(degreesOfFreedom: 40), 2.021, accuracy: 0.001)
        XCTAssertEqual(Estimate.t975(degreesOfFreedom: 60), 2.000, accuracy: 0.001)
        XCTAssertEqual(Estimate.t975(degreesOfFreedom: 120), 1.980, accuracy: 0.001)
        XCTAssertEqual(Estimate.t975(degreesOfFreedom: 31), 2.040, accuracy: 0.001)
    }

    /// Coverage: over many samples of 5 normal values, the 95 % interval holds the true mean
    /// about 95 % of the time (a wrong quantile, z instead of t, gives about 88 %).
    func testIntervalCoverageIsNinetyFivePercent() {
        var rng = SplitMixForTest(seed: 42)
        var covered = 0
        let trials = 4000
        for _ in 0..<trials {
            let xs = (0..<5).map { _ in rng.normal() * 2 + 10 }
            let e = Estimate(xs)!
            if e.low! <= 10 && 10 <= e.high! { covered += 1 }
        }
        let share = Double(covered) / Double(trials)
        XCTAssertEqual(share, 0.95, accuracy: 0.012)
    }
}

struct SplitMixForTest {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11 + 1) * 0x1.0p-53 }
    mutating func normal() -> Double { (-2 * log(unit())).squareRoot() * cos(2 * .pi * unit()) }
}

final class SLOTests: XCTestCase {
    func testGrammar() throws {
        let slo = try SLO(parsing: "deadline_miss_rate <= 0.01 and latency_p99_ms@server=edge < 100 and attainment>=0.99")
        XCTAssertEqual(slo.clauses.count, 3)
        XCTAssertEqual(slo.clauses[1].metric, SummaryMetric(column: "latency_p99_ms", scope: "server", name: "edge"))
        XCTAssertEqual(slo.clauses[1].op, .lt)
        XCTAssertEqual(slo.clauses[2].op, .ge)
        XCTAssertTrue(slo.holds([0.01, 99.9, 0.995]))
        XCTAssertFalse(slo.holds([0.0100001, 99.9, 0.995]))
        XCTAssertFalse(slo.holds([0.0, 100, 0.995]))
        XCTAssertFalse(slo.holds([0.0, nil, 0.995]), "a figure with no value fails")
        XCTAssertEqual(slo.description, "deadline_miss_rate <= 0.01 and latency_p99_ms@server=edge < 100 and attainment >= 0.99")

        XCTAssertThrowsError(try SLO(parsing: "deadline_mis_rate <= 0.01")) {
            XCTAssertTrue(($0 as! ConfigError).message.contains("did you mean \"deadline_miss_rate\""), "\($0)")
        }
        XCTAssertThrowsError(try SLO(parsing: "latency_p99_ms@servr=edge < 3")) {
            XCTAssertTrue(($0 as! ConfigError).message.contains("did you mean \"server\""), "\($0)")
        }
        XCTAssertThrowsError(try SLO(parsing: "latency_p99_ms ~ 3"))
        XCTAssertThrowsError(try SLO(parsing: "latency_p99_ms < fast"))
        XCTAssertThrowsError(try SLO(parsing: "latency_p99_ms@server < 3"), "a server scope needs a name")
        for text in ["deadline_miss_rate@ < 1", "deadline_miss_rate@= < 1", "deadline_miss_rate@=x < 1"] {
            XCTAssertThrowsError(try SLO(parsing: text), text)
        }
    }
}

final class CapacitySearchTests: XCTestCase {
    /// A monotone outcome with a known threshold: every mode must find it exactly.
    func testBisectionFindsTheThresholdFromAnyStart() {
        for threshold in [1.0, 2, 3, 17, 64, 65, 1000] {
            for start in [1.0, 5, 64, 3000] {
                var calls = 0
                let r = CapacitySearch(start: start, mode: .bisect(between: nil), integer: true, tolerance: 0).run { v in
                    calls += 1
                    return v <= threshold
                }
                XCTAssertEqual(r.answer, threshold, "threshold \(threshold) from \(start)")
                XCTAssertEqual(calls, r.probes.count, "no value is probed twice")
                XCTAssertLessThan(calls, 30)
                XCTAssertTrue(r.nonMonotone.isEmpty)
            }
        }
        let none = CapacitySearch(start: 8, mode: .bisect(between: nil), integer: true, tolerance: 0).run { _ in false }
        XCTAssertNil(none.answer)
        XCTAssertEqual(none.probes.map(\.value), [8, 4, 2, 1])
    }

    func testBetweenBoundsAndReals() {
        let r = CapacitySearch(start: 0, mode: .bisect(between: (1, 400)), integer: true, tolerance: 0).run { $0 <= 123 }
        XCTAssertEqual(r.answer, 123)
        XCTAssertEqual(r.probes.prefix(2).map(\.value), [1, 400])
        let low = CapacitySearch(start: 0, mode: .bisect(between: (10, 400)), integer: true, tolerance: 0).run { $0 <= 5 }
        XCTAssertNil(low.answer)
        let high = CapacitySearch(start: 0, mode: .bisect(between: (10, 400)), integer: true, tolerance: 0).run { _ in true }
        XCTAssertEqual(high.answer, 400)
        XCTAssertTrue(high.note.contains("upper bound"))
        let real = CapacitySearch(start: 1, mode: .bisect(between: nil), integer: false, tolerance: 0.001).run { $0 <= 3.14159 }
        XCTAssertEqual(real.answer!, 3.14159, accuracy: 0.001)
        XCTAssertLessThanOrEqual(real.answer!, 3.14159)
        // A tolerance finer than a double can resolve still ends.
        let fine = CapacitySearch(start: 1, mode: .bisect(between: nil), integer: false, tolerance: 1e-300).run { $0 <= 3.14159 }
        XCTAssertEqual(fine.answer!, 3.14159, accuracy: 1e-12)
        XCTAssertLessThan(fine.probes.count, 80)
    }

    /// PPipe's rule: start × (1 − 0.05 i), the first that holds.
    func testStepDown() {
        let r = CapacitySearch(start: 100, mode: .stepDown(fraction: 0.05), integer: false, tolerance: 0).run { $0 <= 80 }
        XCTAssertEqual(r.probes.map(\.value), [100, 95, 90, 85, 80])
        XCTAssertEqual(r.answer, 80)
        let ints = CapacitySearch(start: 10, mode: .stepDown(fraction: 0.05), integer: true, tolerance: 0).run { $0 <= 8 }
        XCTAssertEqual(ints.probes.map(\.value), [10, 9, 8], "rounded values, each probed once")
        // Small steps go as far down as needed (70 steps of 1 %).
        let fine = CapacitySearch(start: 100, mode: .stepDown(fraction: 0.01), integer: true, tolerance: 0).run { $0 <= 30 }
        XCTAssertEqual(fine.answer, 30)
    }

    /// A non-monotone outcome is reported, not hidden.
    func testNonMonotoneOutcomeIsReported() {
        let r = CapacitySearch(start: 12, mode: .stepDown(fraction: 0.1), integer: true, tolerance: 0).run { v in v == 10 || v <= 6 }
        XCTAssertEqual(r.probes.map(\.value), [12, 11, 10])
        XCTAssertEqual(r.answer, 10)
        XCTAssertTrue(r.nonMonotone.isEmpty, "step-down stops at the first value that holds")
        // Holds up to 20, fails at 21, holds again at 23: bisection alone cannot see it; probes
        // beyond the answer can, and are reported.
        var b = CapacitySearch(start: 0, mode: .bisect(between: (1, 64)), integer: true, tolerance: 0)
        let plain = b.run { v in v <= 20 || v == 23 }
        XCTAssertEqual(plain.answer, 20)
        XCTAssertTrue(plain.nonMonotone.isEmpty)
        b.verifyAbove = 3
        let verified = b.run { v in v <= 20 || v == 23 }
        XCTAssertEqual(verified.answer, 20)
        XCTAssertEqual(verified.probes.filter { $0.phase == "verify" }.map(\.value), [23, 25, 26],
                       "22 and 24 were probed while bisecting")
        XCTAssertEqual(verified.nonMonotone.map(\.value), [23])
    }
}

final class MergeTests: XCTestCase {
    /// A run still `running` in a source is not copied, so a later merge brings it whole.
    func testRunningRunsAreNotMerged() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try ResultsStore(path: dir.appendingPathComponent("a.sqlite").path)
        let scenario = try Scenario.parse(smallWorld, file: "w.json")
        _ = try Runner(scenario: scenario).run(store: source)
        _ = try source.beginRun(RunInfo(scenarioName: "x", scenarioFile: "x", scenarioJSON: "{}", seed: 1, detail: .summary,
                                        arsimVersion: "t", digest: "d"))
        let target = try ResultsStore(path: dir.appendingPathComponent("b.sqlite").path)
        let report = try target.merge(from: source.path)
        XCTAssertEqual(report.runsCopied, 1)
        XCTAssertEqual(report.runsRunning, 1)
        XCTAssertEqual(try target.runs().count, 1)
    }
}
