import EdgeWorld
import Foundation
import JSONConfig
import Scenario
import SimKernel
import XCTest

/// Pools inside one server and unequal MPS shares, with hand-computed service times.
final class PoolScenarioTests: XCTestCase {
    func run(_ text: String) throws -> (WorldSpec, Outbox) {
        var s = try Scenario.parse(text, file: "p.json")
        s.spec.detail = .requests
        var sim = World.simulation(s.spec)
        _ = sim.run()
        return (s.spec, sim.model.takeOutbox())
    }

    func testPoolsAreServersThatShareTheMachinesLinks() throws {
        let s = try Scenario.parse("""
            {"name": "p", "duration_s": 1, "models": [{"name": "m", "latency_ms": {"1": 10}}],
             "servers": [{"name": "edge", "nic_gbps": 1, "interconnect": {"kind": "nvlink", "gbps": 100}, "policy": "fifo",
                          "pools": [{"name": "a", "gpus": 2}, {"name": "b", "mps_shares": [0.5, 0.25], "queue_capacity": 4}]}],
             "clients": [{"name": "c", "server": "edge/b", "model": "m", "fps": 10, "deadline_ms": 100,
                          "network": {"uplink_mbps": 100, "downlink_mbps": 100}}]}
            """, file: "p.json")
        XCTAssertEqual(s.spec.servers.map(\.name), ["edge/a", "edge/b"])
        XCTAssertEqual(s.spec.servers.map(\.machine), [nil, 0])
        XCTAssertEqual(s.spec.servers.map(\.executors), [2, 2])
        XCTAssertEqual(s.spec.servers.map(\.queueCapacity), [nil, 4])
        XCTAssertNotNil(s.spec.servers[0].nicIn)
        XCTAssertNil(s.spec.servers[1].nicIn, "the second pool uses the first's NIC")
        XCTAssertEqual(s.spec.servers[1].share(ofExecutor: 1), 0.25)
    }

    /// Two requests at the same instant on one GPU split 0.5 / 0.25: the first takes executor 0
    /// (10 ms / 0.5 = 20 ms), the second executor 1 (10 ms / 0.25 = 40 ms).
    func testUnequalSharesDivideTheWholeGPULatency() throws {
        let (_, out) = try run("""
            {"name": "p", "duration_s": 0.5, "models": [{"name": "m", "latency_ms": {"1": 10}}],
             "servers": [{"name": "edge", "mps_shares": [0.5, 0.25]}],
             "clients": [{"name": "c", "count": 2, "model": "m", "fps": 1, "phase_ms": 0, "deadline_ms": 1000,
                          "network": {"uplink_mbps": 1000, "downlink_mbps": 1000}}]}
            """)
        let batches = out.batches.sorted { $0.gpu < $1.gpu }
        XCTAssertEqual(batches.map(\.gpu), [0, 1])
        XCTAssertEqual(batches.map { $0.end - $0.start }, [20_000_000, 40_000_000])
    }

    /// A two-stage pipeline over two pools of one server (the two-layer "tiny" profile of
    /// ProfileScenarioTests: conv 2 µs, then fc 10 µs, 400 bytes between them): the activations
    /// cross the server's interconnect at 8 Mbit/s (400 µs), not its 1 Mbit/s NIC (3.2 ms).
    func testPipelineAcrossPoolsUsesTheInterconnect() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arsim-pools-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/profiles/T4", withIntermediateDirectories: true)
        try ProfileScenarioTests.profile.write(toFile: dir + "/profiles/T4/tiny.fp32.json", atomically: true, encoding: .utf8)
        try """
            {"name": "p", "duration_s": 0.5, "profiles": ["profiles"], "models": [{"name": "net", "profile": "tiny"}],
             "servers": [{"name": "edge", "gpu": "T4", "nic_gbps": 0.001, "interconnect": {"kind": "pcie", "gbps": 0.008},
                          "pools": [{"name": "a"}, {"name": "b"}]}],
             "clients": [{"name": "c", "fps": 1, "phase_ms": 0, "frame_bytes": 1,
                          "tasks": [{"name": "t", "model": "net", "deadline_ms": 1000, "result_bytes": 1,
                                     "split": {"name": "pipeline", "stages": [{"server": "edge/a", "layers": [0, 1]},
                                                                            {"server": "edge/b", "layers": [1, 2]}]}}],
                          "network": {"uplink_mbps": 1000, "downlink_mbps": 1000}}]}
            """.write(toFile: dir + "/s.json", atomically: true, encoding: .utf8)
        var s = try Scenario.load(path: dir + "/s.json", profileRoots: [])
        s.spec.detail = .requests
        var sim = World.simulation(s.spec)
        _ = sim.run()
        let out = sim.model.takeOutbox()
        let batches = out.batches.sorted { $0.start < $1.start }
        XCTAssertEqual(batches.map(\.server), [0, 1])
        XCTAssertEqual(batches[0].end - batches[0].start, 2_000)
        XCTAssertEqual(batches[1].start - batches[0].end, 400_000, "400 bytes at 8 Mbit/s over the interconnect")
        XCTAssertEqual(batches[1].end - batches[1].start, 10_000)
        XCTAssertEqual(out.requests.filter { $0.outcome == .completed }.count, 1)
    }

    func testMistakesNameTheKey() {
        func error(_ servers: String) -> String {
            do {
                _ = try Scenario.parse("""
                    {"name": "p", "duration_s": 1, "models": [{"name": "m", "latency_ms": {"1": 10}}],
                     "servers": [\(servers)],
                     "clients": [{"name": "c", "model": "m", "fps": 10, "deadline_ms": 100,
                                  "network": {"uplink_mbps": 100, "downlink_mbps": 100}}]}
                    """, file: "p.json")
                return "no error"
            } catch { return error.description }
        }
        XCTAssertTrue(error(#"{"name": "e", "mps_shares": [0.7, 0.4]}"#).contains("MPS shares add up to 1.1; a GPU has 1"))
        XCTAssertTrue(error(#"{"name": "e", "mps": 2, "mps_shares": [0.5, 0.5]}"#).contains("give either \"mps\""))
        XCTAssertTrue(error(#"{"name": "e", "pools": [{"name": "a", "nic_gbps": 1}]}"#).contains("servers[0].pools[0]"))
        XCTAssertTrue(error(#"{"name": "e", "pools": [{"name": "a"}, {"name": "a"}]}"#).contains("\"a\""))
        XCTAssertTrue(error(#"{"name": "e", "pools": []}"#).contains("servers[0].pools"))
    }
}
