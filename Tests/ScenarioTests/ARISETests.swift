import EdgeWorld
import JSONConfig
import Policies
import Scenario
import SimKernel
import XCTest

/// ARISE as reconstructed (docs/policies/arise.md): the planner by hand, and its plan followed
/// in a small world.
final class ARISETests: XCTestCase {
    /// 30 fps (τ = 33.33 ms); a model taking 5, 7, 9, 11, 14 ms for batches of 1, 2, 3, 4, 6, and
    /// 10 % more at worst; 10 ms kept for the upload, 3 ms slack, 5 ms for the result. Accuracy
    /// 0.9 − 0.01 per frame of staleness, SLA 0.869.
    /// Alone, a batch of one finishes 5.5 ms after its launch: 33.3 + 10 + 3 + 5.5 + 5 = 56.8 ms,
    /// two frames, so the mean staleness is 2 + (k − 1)/2 and k ≤ 3. Six clients at k = 3 take the
    /// ticks 0, 1, 2, 0, 1, 2 (first fit: each where its ticks are least busy), two per tick; a batch
    /// of two (7.7 ms at worst) still leaves two frames of delay: predicted accuracy 0.87 each.
    func testPlanByHand() {
        let planner = Self.planner(sla: 0.869)
        let streams = (0..<6).map { ARISEPlanner.Stream(client: $0, task: 0, model: 0, accuracy: Self.accuracy) }
        guard case .success(let plan) = planner.plan(streams) else { return XCTFail("no plan") }
        XCTAssertEqual(plan.map(\.interval), [3, 3, 3, 3, 3, 3])
        XCTAssertEqual(plan.map(\.phase), [0, 1, 2, 0, 1, 2])
        for a in plan { XCTAssertEqual(a.predicted, 0.87, accuracy: 1e-12) }
        // Up to four per tick keep two frames of delay (a batch of 4 is 12.1 ms at worst); a fifth
        // (4 + 1: 17.6 ms) makes it three frames and 0.86, so the 13th client forces k = 2 on some,
        // which overloads the ticks: twelve clients fit, thirteen do not.
        let twelve = (0..<12).map { ARISEPlanner.Stream(client: $0, task: 0, model: 0, accuracy: Self.accuracy) }
        guard case .success(let full) = planner.plan(twelve) else { return XCTFail("twelve should fit") }
        XCTAssertEqual(Set(full.map(\.interval)), [3])
        let thirteen = twelve + [ARISEPlanner.Stream(client: 12, task: 0, model: 0, accuracy: Self.accuracy)]
        guard case .failure = planner.plan(thirteen) else { return XCTFail("thirteen should not fit") }
        // A looser SLA lengthens the interval: 0.85 allows 2 + (k − 1)/2 ≤ 5, k ≤ 7, so 6.
        guard case .success(let loose) = Self.planner(sla: 0.85).plan(streams) else { return XCTFail("no plan") }
        XCTAssertEqual(Set(loose.map(\.interval)), [6])
        XCTAssertEqual(loose.map(\.phase), [0, 1, 2, 3, 4, 5])
    }

    /// The plan followed: fourteen clients ask at once, twelve are admitted (two rejected with the
    /// reason); after the warm-up every launch runs a batch of exactly four, one tick apart, and
    /// every admitted client keeps its SLA.
    func testClientsFollowTheScheduleAndBatchesFormAsPlanned() throws {
        var spec = try Scenario.parse(Self.world(clients: 14, sla: 0.869), file: "arise.json").spec
        spec.detail = .requests
        var sim = World.simulation(spec)
        var batches: [BatchRecord] = []
        while sim.run(until: spec.endTime, maxEvents: 1 << 16) == .eventBudget { batches += sim.model.takeOutbox().batches }
        let summary = sim.model.finish(at: sim.now)
        batches += sim.model.takeOutbox().batches
        XCTAssertEqual(summary.sessions.filter(\.admitted).count, 12)
        XCTAssertTrue(summary.sessions.filter { !$0.admitted }.allSatisfy { $0.reason?.hasPrefix("no plan keeps every client within accuracy 0.869") == true })
        let late = batches.filter { $0.start > 1_000_000_000 }.sorted { $0.start < $1.start }
        XCTAssertEqual(Set(late.map(\.size)), [4])
        let gaps = Set(zip(late, late.dropFirst()).map { $1.start - $0.start })
        XCTAssertEqual(gaps, [33_333_333])
        XCTAssertEqual(summary.clients.count, 14)
        for c in summary.clients where c.offloads > 0 {
            XCTAssertGreaterThanOrEqual(c.accuracyMean ?? 0, 0.869, c.name)
        }
    }

    // MARK: Support

    static let accuracy = AccuracyModel(server: 0.9, perFrame: 0.01)

    static func planner(sla: Double) -> ARISEPlanner {
        let table = LatencyTable([(1, 5_000_000), (2, 7_000_000), (3, 9_000_000), (4, 11_000_000), (6, 14_000_000)])
        return ARISEPlanner(tables: [table], frameTime: 33_333_333, cycle: 12, sla: sla, upload: 10_000_000, download: 5_000_000,
                            slack: 3_000_000, degreesPerSecond: 0)
    }

    static func world(clients: Int, sla: Double) -> String {
        """
        {"name": "arise", "seed": 1, "duration_s": 4, "warmup_s": 1, "drain_s": 1,
         "models": [{"name": "m", "latency_ms": {"1": 5, "2": 7, "3": 9, "4": 11, "6": 14}}],
         "sites": [{"name": "edge", "admission": {"name": "arise", "sla": \(sla)}}],
         "servers": [{"name": "gpu", "site": "edge", "policy": "arise"}],
         "clients": [{"name": "ar", "count": \(clients), "site": "edge", "fps": 30, "frame_bytes": 10000, "policy": "arise",
                      "session": {"start_s": 0},
                      "network": {"uplink_mbps": 100, "downlink_mbps": 100, "delay_ms": 1},
                      "tasks": [{"name": "detect", "model": "m", "deadline_ms": 200, "result_bytes": 1000,
                                 "accuracy": {"server": 0.9, "per_frame": 0.01}}]}]}
        """
    }
}
