import EdgeWorld
import Foundation
import JSONConfig
import Policies
import Scenario
import XCTest

/// The corpus of malformed inputs (Tests/Corpus/malformed): one file per class of mistake that
/// once trapped, hung or exhausted memory. Each must be one error that names the scenario key and
/// the place in the file.
final class MalformedInputTests: XCTestCase {
    func error(_ scenario: String, files: [String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-bad-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in files {
            try FileManager.default.copyItem(atPath: Repo.path("Tests/Corpus/malformed/\(f)"), toPath: dir + "/" + f)
        }
        try scenario.write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        do {
            _ = try Scenario.load(path: dir + "/s.json")
            return "no error"
        } catch {
            return error.description
        }
    }

    func scenario(network: String = #""uplink_mbps": 100, "downlink_mbps": 100"#, client: String = "") -> String {
        """
        {"name": "p", "duration_s": 1, "models": [{"name": "m", "latency_ms": {"1": 10}}], "servers": [{"name": "s"}],
         "clients": [{"name": "c", "model": "m", "fps": 10, "deadline_ms": 100, \(client)
                      "network": {\(network)}}]}
        """
    }

    func testCapacityTraces() throws {
        let cases = [
            ("capacity-infinite.csv", "csv", "capacity-infinite.csv:2:1: expected a time from 0 to 1e12 s and a capacity"),
            ("capacity-decades-away.csv", "csv", "the trace spans 10000000000 s; at most 100000000"),
            ("capacity-too-slow.csv", "csv", "a trace needs at least 1000 bit/s on average"),
            ("capacity-step-rounds-to-zero.csv", "csv", "times must increase by at least 1 µs"),
            ("mahimahi-decades-away.mahimahi", "mahimahi", "mahimahi-decades-away.mahimahi:2:1: expected a delivery time in whole milliseconds"),
        ]
        for (file, format, expected) in cases {
            let message = try error(scenario(network: #""uplink_trace": {"file": "\#(file)", "format": "\#(format)"}, "downlink_mbps": 100"#),
                                    files: [file])
            XCTAssertTrue(message.contains("clients[0].network.uplink_trace.file: in "), message)
            XCTAssertTrue(message.contains(expected), "\(file): \(message)")
            XCTAssertFalse(message.contains("\n"), message)
        }
        // CR-only line ends are line ends: the trace reads (20 ms long, 1500 bytes per 10 ms bin).
        XCTAssertEqual(try error(scenario(network: #""uplink_trace": {"file": "mahimahi-cr-only.mahimahi", "format": "mahimahi", "bin_ms": 10}, "downlink_mbps": 100"#),
                                 files: ["mahimahi-cr-only.mahimahi"]), "no error")
    }

    func testTrajectories() throws {
        let cases = [
            ("tum-zero-quaternion.txt", "tum-zero-quaternion.txt:1:1: the rotation is not a valid orientation"),
            ("tum-nan-quaternion.txt", "tum-nan-quaternion.txt:1:1: the rotation is not a valid orientation"),
            ("tum-time-backwards.txt", "tum-time-backwards.txt:2:1: timestamps must not decrease"),
        ]
        for (file, expected) in cases {
            let message = try error(scenario(client: #""motion": {"file": "\#(file)", "format": "tum"},"#), files: [file])
            XCTAssertTrue(message.contains("clients[0].motion.file: in "), message)
            XCTAssertTrue(message.contains(expected), "\(file): \(message)")
        }
    }

    /// Values that would need more memory than any machine has are refused up front, naming the
    /// key and the estimate.
    func testResourceEstimatesAreRefusedUpFront() throws {
        var message = try error(scenario(network: #""uplink_trace": {"mean_mbps": 10, "step_ms": 0.001}, "downlink_mbps": 100"#), files: [])
        XCTAssertTrue(message.contains("uplink_trace.step_ms: a generated trace of 1000000 steps") == false
                      && message.contains("no error"), "1 s in 1 µs steps is a million steps: allowed; \(message)")
        message = try error(scenario(network: #""uplink_trace": {"mean_mbps": 10, "step_ms": 0.001, "length_s": 100}, "downlink_mbps": 100"#), files: [])
        XCTAssertTrue(message.contains("uplink_trace.step_ms: a generated trace of 100000000 steps (length / step_ms) would need about 2 GB"), message)
        message = try error(scenario(network: #""uplink_trace": {"mean_mbps": 10, "step_ms": 0.05}, "downlink_mbps": 100"#, client: #""count": 2000,"#), files: [])
        XCTAssertTrue(message.contains("uplink_trace.step_ms: the generated traces of all links together would need"), message)
        // Generated motion is drawn as the run goes: many clients and fine steps need no memory up front.
        message = try error(scenario(client: #""count": 1000, "motion": {"mean_deg_s": 30, "step_ms": 0.001},"#), files: [])
        XCTAssertEqual(message, "no error")
        message = try error(scenario().replacingOccurrences(of: #""name": "c","#, with: #""name": "c", "count": 4294967296,"#), files: [])
        XCTAssertTrue(message.contains("clients[0].count: must be between 1 and 10000000, got 4294967296"), message)
    }

    /// Accepted before, silently wrong: a GPU type in the wrong case lost its cost; more copies
    /// than servers quietly used fewer; an accuracy floor above the server's accuracy.
    func testNearMissesAreErrors() throws {
        var message = try error(scenario().replacingOccurrences(of: #"[{"name": "s"}]"#, with: #"[{"name": "s", "gpu": "t4"}]"#), files: [])
        XCTAssertTrue(message.contains(#"servers[0].gpu: unknown GPU type "t4"; did you mean "T4"?"#), message)
        message = try error(scenario().replacingOccurrences(of: #""servers": [{"name": "s"}]"#, with: #""sites": [{"name": "e", "dispatch": {"name": "redundant", "copies": 5}}], "servers": [{"name": "s"}, {"name": "t"}, {"name": "u"}]"#)
            .replacingOccurrences(of: #""model": "m", "fps""#, with: #""tasks": [{"name": "t", "model": "m", "deadline_ms": 100}], "fps""#)
            .replacingOccurrences(of: #""deadline_ms": 100, "#, with: ""), files: [])
        XCTAssertTrue(message.contains(#"sites[0].dispatch.copies: 5 copies, but site "e" has 3 servers"#), message)
        message = try error(scenario().replacingOccurrences(of: #""model": "m", "fps""#, with: #""tasks": [{"name": "t", "model": "m", "deadline_ms": 99, "accuracy": {"server": 0.7, "floor": 0.8}}], "fps""#)
            .replacingOccurrences(of: #""deadline_ms": 100, "#, with: ""), files: [])
        XCTAssertTrue(message.contains("accuracy.floor: must not be above the server's accuracy (0.7), got 0.8"), message)
    }

    /// A whole number written as a float is an integer, as JSON Schema has it; a fraction is not.
    func testWholeNumbersWrittenAsFloatsAreIntegers() throws {
        XCTAssertEqual(try error(scenario(client: #""count": 3.0,"#), files: []), "no error")
        XCTAssertTrue(try error(scenario(client: #""count": 2.5,"#), files: []).contains("count: expected an integer, got 2.5"))
    }

    /// The redundant dispatch policy's keys: read as given, and mistakes named.
    func testRedundancyKeys() throws {
        func site(_ dispatch: String) -> String {
            scenario().replacingOccurrences(of: #""servers": [{"name": "s"}]"#,
                                            with: #""sites": [{"name": "e", "dispatch": \#(dispatch)}], "servers": [{"name": "s"}, {"name": "t"}, {"name": "u"}]"#)
                .replacingOccurrences(of: #""model": "m", "fps""#, with: #""tasks": [{"name": "t", "model": "m", "deadline_ms": 99}], "fps""#)
                .replacingOccurrences(of: #""deadline_ms": 100, "#, with: "")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-red-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try site(#"{"name": "redundant", "copies": 3, "needed": 2, "delay_ms": 4}"#).write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        let policy = try XCTUnwrap(Scenario.load(path: dir + "/s.json").spec.sites[0].dispatch as? RedundantDispatch)
        XCTAssertEqual(policy.copies, 3)
        XCTAssertEqual(policy.copyIssue, CopyIssue(needed: 2, delay: 4_000_000))
        XCTAssertEqual(policy.cancellation, .onFinish)
        var message = try error(site(#"{"name": "redundant", "copies": 2, "needed": 3}"#), files: [])
        XCTAssertTrue(message.contains("dispatch.needed: must be between 1 and 2 (at most copies), got 3"), message)
        message = try error(site(#"{"name": "redundant", "copies": 2, "needed": 2, "cancel": "on_start"}"#), files: [])
        XCTAssertTrue(message.contains("k of r needs k copies to finish: it cannot cancel on start"), message)
        message = try error(site(#"{"name": "redundant", "copies": 2, "cancel": "on_strat"}"#), files: [])
        XCTAssertTrue(message.contains("did you mean \"on_start\""), message)
    }

    /// A name with a newline cannot reach a terminal, file name or table; a huge value is shortened.
    func testNamesAndMessagesStayOneLine() throws {
        var message = try error(scenario().replacingOccurrences(of: #"{"name": "p""#, with: #"{"name": "a\nb""#), files: [])
        XCTAssertTrue(message.contains(#"name: a name must not contain control characters (a newline, a tab), got "a\nb""#), message)
        XCTAssertFalse(message.contains("\n"))
        message = try error(scenario().replacingOccurrences(of: #""model": "m""#, with: #""model": "x\ty""#), files: [])
        XCTAssertTrue(message.contains(#"unknown model "x\ty""#), message)
        message = try error(scenario().replacingOccurrences(of: #"{"1": 10}"#, with: #"{"\#(String(repeating: "9", count: 500))": 10}"#), files: [])
        XCTAssertTrue(message.contains("… (500 characters)"), message)
        XCTAssertLessThan(message.count, 400, message)
    }
}
