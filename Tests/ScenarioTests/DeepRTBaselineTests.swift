import EdgeWorld
import JSONConfig
import Policies
import Scenario
import SimKernel
import XCTest

/// The serving baselines DeepRT is compared with, each in a world small enough to work out by hand.
final class DeepRTBaselineTests: XCTestCase {
    /// Batches in the order they started: (model index, size).
    static func batches(_ text: String) throws -> [(model: Int, size: Int)] {
        try WorldRun(scenario: text).batches.sorted { ($0.start, $0.id) < ($1.start, $1.id) }.map { (Int($0.model), Int($0.size)) }
    }

    static func world(policy: String, latency: String, clients: String) -> String {
        """
        {"name": "b", "duration_s": 0.5, "drain_s": 5,
         "models": [{"name": "a", "latency_ms": \(latency)}, {"name": "b", "latency_ms": \(latency)}],
         "servers": [{"name": "gpu", "policy": \(policy)}],
         "clients": [\(clients)]}
        """
    }

    static func camera(_ name: String, model: String, phaseMs: Double, deadlineMs: Double, count: Int = 1) -> String {
        """
        {"name": "\(name)", "count": \(count), "server": "gpu", "model": "\(model)", "fps": 1, "phase_ms": \(phaseMs),
         "deadline_ms": \(deadlineMs), "frame_bytes": 0, "network": {"uplink_mbps": 1000, "downlink_mbps": 1000}}
        """
    }

    /// Frames of model a at 0 ms (due at 200) and 1 ms (due at 301), of model b at 2 ms (due at
    /// 32); each takes 10 ms. At 10 ms FIFO runs the older a, EDF the b that is due first.
    func testEDFRunsTheEarliestDeadlineWhereFIFORunsTheOldest() throws {
        let clients = [Self.camera("a0", model: "a", phaseMs: 0, deadlineMs: 200), Self.camera("a1", model: "a", phaseMs: 1, deadlineMs: 300),
                       Self.camera("b0", model: "b", phaseMs: 2, deadlineMs: 30)].joined(separator: ", ")
        let edf = try Self.batches(Self.world(policy: "\"edf\"", latency: #"{"1": 10}"#, clients: clients))
        let fifo = try Self.batches(Self.world(policy: "\"fifo\"", latency: #"{"1": 10}"#, clients: clients))
        XCTAssertEqual(edf.map(\.model), [0, 1, 0])
        XCTAssertEqual(fifo.map(\.model), [0, 0, 1])
    }

    /// Twenty frames at once, limit from 1, objective 10 ms, a batch of 3 taking 12 ms: the limit
    /// climbs 1 → 2 → 3, falls to ⌊3 × 0.9⌋ = 2 after each batch of 3, and climbs again.
    func testAIMDGrowsAdditivelyAndBacksOffByTenPercent() throws {
        let text = Self.world(policy: #"{"name": "aimd_batch", "slo_ms": 10}"#, latency: #"{"1": 5, "2": 6, "3": 12, "4": 13}"#,
                              clients: Self.camera("c", model: "a", phaseMs: 0, deadlineMs: 1000, count: 20))
        XCTAssertEqual(try Self.batches(text).map(\.size), [1, 2, 3, 2, 3, 2, 3, 2, 2])
        // Step 2 and a loose objective: 1, 3, then the largest size, 4, while frames last.
        let loose = Self.world(policy: #"{"name": "aimd_batch", "slo_ms": 100, "step": 2}"#, latency: #"{"1": 5, "2": 6, "3": 12, "4": 13}"#,
                               clients: Self.camera("c", model: "a", phaseMs: 0, deadlineMs: 1000, count: 20))
        XCTAssertEqual(try Self.batches(loose).map(\.size), [1, 3, 4, 4, 4, 4])
    }

    /// Objective 25 ms: 2 × ℓ(4) = 20 fits, 2 × ℓ(8) = 40 does not, so batches of at most 4.
    /// The first frame finds the GPU idle and runs alone; 19 = 4 × 4 + 2 + 1.
    func testSLOBatchTakesTheLargestBatchWhoseDoubledLatencyFits() throws {
        let text = Self.world(policy: #"{"name": "slo_batch", "slo_ms": 25}"#, latency: #"{"1": 5, "2": 6, "4": 10, "8": 20}"#,
                              clients: Self.camera("c", model: "a", phaseMs: 0, deadlineMs: 1000, count: 20))
        XCTAssertEqual(try Self.batches(text).map(\.size), [1, 4, 4, 4, 4, 2, 1])
        // Learned from the requests instead: 1000 ms left on arrival allows batches of 8.
        let learned = Self.world(policy: #""slo_batch""#, latency: #"{"1": 5, "2": 6, "4": 10, "8": 20}"#,
                                 clients: Self.camera("c", model: "a", phaseMs: 0, deadlineMs: 1000, count: 20))
        XCTAssertEqual(try Self.batches(learned).map(\.size), [1, 8, 8, 2, 1])
    }
}
