import EdgeWorld
import Foundation
import JSONConfig
import Policies
import Scenario
import XCTest

/// The AR world's scenario keys: built as described, and every mistake one clear error.
final class ARScenarioTests: XCTestCase {
    let bundled = [Repo.path("Workloads/profiles")]

    static let base = """
        {"name": "ar", "duration_s": 2,
         "models": [{"name": "fastdepth"}, {"name": "resnet50"}],
         "sites": [{"name": "a", "wan": {"uplink_mbps": 1000, "downlink_mbps": 1000, "delay_ms": 10}},
                   {"name": "b", "wan": {"uplink_mbps": 1000, "downlink_mbps": 1000, "delay_ms": 10}},
                   {"name": "cloud", "kind": "cloud"}],
         "servers": [{"name": "ea", "site": "a", "gpu": "T4"}, {"name": "eb", "site": "b", "gpu": "L4"},
                     {"name": "c", "site": "cloud", "gpu": "A100"}],
         "clients": [{"name": "h", "site": "a", "fps": 30, "device": "Orin",
                      "frame": {"width": 640, "height": 480, "bits_per_pixel": 1.5},
                      "network": {"uplink_mbps": 40, "downlink_mbps": 80, "delay_ms": 5, "loss": 0.01},
                      "mobility": [{"at_s": 1, "site": "b"}], "migration": {"state_bytes": 1000},
                      "tasks": [{"name": "depth", "model": "fastdepth", "deadline_ms": 50,
                                 "fallback": {"latency_ms": 4}, "accuracy": {"server": 0.9, "local": 0.6, "per_frame": 0.01}},
                                {"name": "detect", "model": "resnet50", "deadline_ms": 100, "split": "cloud"}]}]}
        """

    func parse(_ text: String) throws -> Scenario { try Scenario.parse(text, file: "ar.json", profileRoots: bundled) }

    func error(_ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        XCTAssertTrue(Self.base.contains(old), "fixture lacks \(old)", file: file, line: line)
        do {
            _ = try parse(Self.base.replacingOccurrences(of: old, with: new))
            XCTFail("expected an error", file: file, line: line)
            return nil
        } catch {
            return error as? ConfigError
        }
    }

    func testBaseBuildsTheWorld() throws {
        let s = try parse(Self.base)
        XCTAssertEqual(s.spec.sites.map(\.name), ["a", "b", "cloud"])
        XCTAssertEqual(s.spec.cloud, 2)
        XCTAssertEqual(s.spec.servers.map(\.site), [0, 1, 2])
        let c = s.spec.clients[0]
        XCTAssertEqual(c.frameBytes, 640 * 480 * 3 / 16)
        XCTAssertEqual(c.tasks.map(\.name), ["depth", "detect"])
        XCTAssertEqual(c.tasks[1].split.route(servingSite: 0, cloud: 2), Route([Stage(.site(2))]))
        XCTAssertEqual(c.tasks[0].split.route(servingSite: 1, cloud: 2), Route([Stage(.site(1))]))
        XCTAssertEqual(c.mobility, [Handover(time: 1_000_000_000, site: 1)])
        XCTAssertEqual(c.migration, .migrate(stateBytes: 1000))
        XCTAssertEqual(c.uplink.lossRate, 0.01)
        XCTAssertEqual(c.uplink.retransmitDelay, 10_000_000, "a lost packet waits one round trip by default")
        XCTAssertNotNil(c.tasks[0].deviceLatency, "the Orin profile of fastdepth")
        // Servers host what can reach them: ea and eb the edge task, c the cloud one.
        XCTAssertEqual(s.spec.servers.map(\.hosted), [[0], [0], [1]])
        XCTAssertEqual(s.spec.servers[0].costPerGPUHour, 0.53)
        XCTAssertEqual(s.spec.models[0].layerOutputBytes.count, 122)
    }

    func testEveryBundledScenarioRuns() throws {
        let dir = Repo.path("Workloads/scenarios")
        for f in try FileManager.default.contentsOfDirectory(atPath: dir).filter({ $0.hasSuffix(".json") }).sorted() {
            var s = try Scenario.load(path: "\(dir)/\(f)", profileRoots: bundled)
            s.spec.duration = min(s.spec.duration, 3_000_000_000)
            s.spec.warmup = 0
            var sim = World.simulation(s.spec)
            _ = sim.run(until: s.spec.endTime)
            let summary = sim.model.finish(at: sim.now)
            XCTAssertGreaterThan(summary.run.completed, 0, f)
        }
    }

    func testSplitMistakes() {
        var e = error("\"split\": \"cloud\"", "\"split\": \"clod\"")
        XCTAssertEqual(e?.message, "unknown split policy \"clod\"; did you mean \"cloud\"? (known: \"edge\", \"cloud\", \"device\", \"split\", \"jalad\", \"neurosurgeon\", \"scission\", \"pipeline\")")
        e = error("\"split\": \"cloud\"", "\"split\": {\"name\": \"split\", \"layer\": 500}")
        XCTAssertEqual(e?.path, "clients[0].tasks[1].split.layer")
        XCTAssertEqual(e?.message, "must be between 1 and 173 (the model has 174 layers)")
        XCTAssertNoThrow(try parse(Self.base.replacingOccurrences(of: ", \"device\": \"Orin\"", with: "")),
                         "without a device, a fallback given by latency still works")
        e = error("\"split\": \"cloud\"", "\"split\": {\"name\": \"pipeline\", \"stages\": [{\"server\": \"ea\", \"layers\": [0, 100]}]}")
        XCTAssertEqual(e?.message, "the stages end at layer 100; the model has 174 layers")
        e = error("\"split\": \"cloud\"", "\"split\": {\"name\": \"pipeline\", \"stages\": [{\"server\": \"ae\", \"layers\": [0, 174]}]}")
        XCTAssertTrue(e!.message.hasPrefix("unknown server \"ae\"; did you mean \"ea\"?"), e!.message)
    }

    func testSplitOnDeviceNeedsADeviceProfile() throws {
        let text = Self.base.replacingOccurrences(of: ", \"device\": \"Orin\"", with: "")
            .replacingOccurrences(of: "\"split\": \"cloud\"", with: "\"split\": {\"name\": \"split\", \"layer\": 10}")
        XCTAssertThrowsError(try parse(text)) { e in
            XCTAssertTrue((e as! ConfigError).message.hasPrefix("the device has no latency for this model"), "\(e)")
        }
    }

    func testSitesAndMobilityMistakes() {
        var e = error("{\"name\": \"cloud\", \"kind\": \"cloud\"}", "{\"name\": \"cloud\", \"kind\": \"cloud\"}, {\"name\": \"c2\", \"kind\": \"cloud\"}")
        XCTAssertEqual(e?.message, "only one site can be the cloud (cloud is)")
        e = error("{\"name\": \"b\", \"wan\": {\"uplink_mbps\": 1000, \"downlink_mbps\": 1000, \"delay_ms\": 10}}", "{\"name\": \"b\"}")
        XCTAssertEqual(e?.path, "sites[1]")
        XCTAssertTrue(e!.message.hasPrefix("site \"b\" needs a \"wan\""), e!.message)
        e = error("\"mobility\": [{\"at_s\": 1, \"site\": \"b\"}]", "\"mobility\": [{\"at_s\": 1, \"site\": \"cloud\"}]")
        XCTAssertEqual(e?.message, "clients attach at edge sites; \"cloud\" is the cloud")
        e = error("\"mobility\": [{\"at_s\": 1, \"site\": \"b\"}]", "\"mobility\": [{\"at_s\": 1, \"site\": \"b\"}, {\"at_s\": 0.5, \"site\": \"a\"}]")
        XCTAssertEqual(e?.message, "moves must be in time order")
        e = error("{\"name\": \"ea\", \"site\": \"a\", \"gpu\": \"T4\"}", "{\"name\": \"ea\", \"gpu\": \"T4\"}")
        XCTAssertTrue(e!.message.hasPrefix("missing required key \"site\": the scenario has 3 sites"), e!.message)
    }

    func testNetworkMistakes() {
        var e = error("\"loss\": 0.01", "\"loss\": 1")
        XCTAssertEqual(e?.message, "must be below 1 (a probability), got 1")
        e = error("\"uplink_mbps\": 40,", "\"uplink_mbps\": 40, \"uplink_trace\": {\"mean_mbps\": 40},")
        XCTAssertEqual(e?.message, "give uplink_mbps or uplink_trace, not both")
        e = error("\"uplink_mbps\": 40,", "\"uplink_trace\": {\"file\": \"nowhere.csv\", \"format\": \"csv\"},")
        XCTAssertTrue(e!.message.hasPrefix("no file at"), e!.message)
        e = error("\"uplink_mbps\": 40,", "\"uplink_trace\": {\"mean_mbps\": 40, \"format\": \"csv\"},")
        XCTAssertTrue(e!.message.hasPrefix("format belongs to a trace file"), e!.message)
    }

    func testTaskMistakes() {
        var e = error("\"accuracy\": {\"server\": 0.9,", "\"accuracy\": {\"server\": 1.9,")
        XCTAssertEqual(e?.message, "an accuracy is between 0 and 1, got 1.9")
        e = error("\"fallback\": {\"latency_ms\": 4}", "\"fallback\": {\"latency_ms\": 4, \"model\": \"mobilenet_v2\"}")
        XCTAssertEqual(e?.message, "give either model or latency_ms, not both")
        e = error("{\"name\": \"h\", \"site\": \"a\",", "{\"name\": \"h\", \"site\": \"a\", \"model\": \"resnet50\",")
        XCTAssertEqual(e?.message, "with \"tasks\", each task gives its own model")
        e = error("\"name\": \"detect\"", "\"name\": \"depth\"")
        XCTAssertEqual(e?.message, "duplicate task name \"depth\"")
    }

    func testServerMistakes() {
        var e = error("{\"name\": \"ea\", \"site\": \"a\", \"gpu\": \"T4\"}", "{\"name\": \"ea\", \"site\": \"a\", \"gpu\": \"T4\", \"memory_gb\": 0.001}")
        XCTAssertEqual(e?.message, "the models hosted need 0.02 GB of weights per GPU but a T4 has 0.00 GB")
        e = error("{\"name\": \"ea\", \"site\": \"a\", \"gpu\": \"T4\"}", "{\"name\": \"ea\", \"site\": \"a\", \"gpu\": \"T4\", \"mps\": 2}")
        XCTAssertEqual(e?.path, "servers[0].gpu")
        XCTAssertTrue(e!.message.hasPrefix("no profile for model \"fastdepth\" on GPU \"T4\" (fp32, MPS 1/2)"), e!.message)
        e = error("\"site\": \"cloud\", \"gpu\": \"A100\"}", "\"site\": \"cloud\", \"gpu\": \"A100\", \"interconnect\": {\"kind\": \"nvlnk\", \"gbps\": 600}}")
        XCTAssertTrue(e!.message.contains("did you mean \"nvlink\""), e!.message)
    }
}

/// A client on the real ATT LTE uplink (Mahimahi trace, ../shared/reference-data): its frames
/// cross at the trace's capacity, 19,101 packets of 1500 B over 120.002 s ≈ 1.91 Mbit/s on average.
final class RealTraceScenarioTests: XCTestCase {
    func testClientOnARealLTEUplink() throws {
        let trace = Repo.root.deletingLastPathComponent().appendingPathComponent("shared/reference-data/network/mahimahi-raw/ATT-LTE-driving-2016.up").path
        guard FileManager.default.fileExists(atPath: trace) else {
            throw XCTSkip("../shared/reference-data is absent (a fresh clone); real-trace test skipped")
        }
        let text = """
            {"name": "lte", "duration_s": 60, "detail": "requests",
             "models": [{"name": "m", "latency_ms": {"1": 5}}],
             "servers": [{"name": "edge"}],
             "clients": [{"name": "phone", "model": "m", "fps": 5, "deadline_ms": 1000, "frame_bytes": 20000,
                          "network": {"uplink_trace": {"file": "\(trace)", "format": "mahimahi"}, "downlink_mbps": 50, "delay_ms": 20}}]}
            """
        let s = try Scenario.parse(text, file: "lte.json", profileRoots: [])
        XCTAssertEqual(s.spec.clients[0].uplink.capacity.meanBitsPerSecond, 19_101 * 12_000 / 120.002, accuracy: 1)
        var sim = World.simulation(s.spec)
        var uploads: [Double] = []
        while sim.run(until: s.spec.endTime, maxEvents: 10_000) == .eventBudget {
            uploads += sim.model.takeOutbox().requests.map { Double($0.request.arrived - $0.request.sent) / 1e6 }
        }
        let summary = sim.model.finish(at: sim.now)
        uploads += sim.model.takeOutbox().requests.map { Double($0.request.arrived - $0.request.sent) / 1e6 }
        XCTAssertEqual(summary.run.requests, 300)
        // 160,000 bits at 1.91 Mbit/s would take 84 ms on average; the trace swings from zero to
        // over 10 Mbit/s, so uploads range widely around that, never below 20 ms of propagation.
        XCTAssertTrue(uploads.allSatisfy { $0 >= 20 })
        XCTAssertGreaterThan(uploads.max()! / uploads.min()!, 5, "a time-varying link, not a constant one")
    }
}
