import EdgeWorld
import JSONConfig
import Policies
import Scenario
import SimKernel
import XCTest

/// AccuMO's scheduler as the authors' code has it (docs/policies/accumo.md), worked by hand.
final class AccuMOTests: XCTestCase {
    /// Trails of 30 frames: with turnarounds (4, 4) every step is 4 frames, 8 steps, 2^8 trails;
    /// with (5, 4) the code's 135.
    func testTrailsAreEveryOffloadSequenceOfTheHorizon() {
        XCTAssertEqual(AccuMOScheduler(horizon: 30, turnaround: [4, 4], strideLimit: [30, 30]).trails.count, 256)
        XCTAssertEqual(AccuMOScheduler(horizon: 30, turnaround: [5, 4], strideLimit: [25, 26]).trails.count, 135)
        // Turnarounds of one frame would make 2^30 trails: the horizon shortens to keep them few.
        let fast = AccuMOScheduler(horizon: 30, turnaround: [1, 1], strideLimit: [30, 30])
        XCTAssertEqual(fast.horizon, 14)
        XCTAssertEqual(fast.trails.count, 1 << 14)
        let short = AccuMOScheduler(horizon: 4, turnaround: [2, 2], strideLimit: [100, 100])
        XCTAssertEqual(short.trails, [[0, -1, 0, -1], [0, -1, 1, -1], [1, -1, 0, -1], [1, -1, 1, -1]])
    }

    /// Horizon 4, turnarounds 2, now frame 10, latest results of frames 0 (depth) and 8 (VO).
    /// Equal drop rates 0.01: offloading depth first costs 0.40 (its staleness falls to 2 at frame
    /// 12), VO first 0.56; depth-then-depth ties depth-then-VO and comes first: depth.
    /// Rates 0.001 and 0.05: VO first costs 0.546, depth first 0.726: VO.
    func testTheCheapestTrailsFirstTaskIsOffloaded() {
        let s = AccuMOScheduler(horizon: 4, turnaround: [2, 2], strideLimit: [100, 100])
        let inf = [Double.infinity, .infinity]
        XCTAssertEqual(s.cost([0, -1, 1, -1], now: 10, latest: [0, 8], rates: [0.01, 0.01], caps: inf)!, 0.40, accuracy: 1e-12)
        XCTAssertEqual(s.cost([1, -1, 0, -1], now: 10, latest: [0, 8], rates: [0.01, 0.01], caps: inf)!, 0.56, accuracy: 1e-12)
        XCTAssertEqual(s.choose(now: 10, latest: [0, 8], rates: [0.01, 0.01], caps: inf), 0)
        XCTAssertEqual(s.cost([1, -1, 0, -1], now: 10, latest: [0, 8], rates: [0.001, 0.05], caps: inf)!, 0.546, accuracy: 1e-12)
        XCTAssertEqual(s.cost([0, -1, 1, -1], now: 10, latest: [0, 8], rates: [0.001, 0.05], caps: inf)!, 0.726, accuracy: 1e-12)
        XCTAssertEqual(s.choose(now: 10, latest: [0, 8], rates: [0.001, 0.05], caps: inf), 1)
        // A cap bounds what a task can lose: depth capped at 0.005 per frame no longer pulls.
        XCTAssertEqual(s.choose(now: 10, latest: [0, 8], rates: [0.01, 0.01], caps: [0.005, .infinity]), 1)
    }

    /// No feasible trail: the task whose latest result is oldest; never counts as oldest, and a
    /// tie goes to VO.
    func testWithNoFeasibleTrailTheStalestTaskGoes() {
        let s = AccuMOScheduler(horizon: 4, turnaround: [2, 2], strideLimit: [1, 1])
        XCTAssertEqual(s.choose(now: 10, latest: [nil, nil], rates: [0.01, 0.01], caps: [.infinity, .infinity]), 1)
        XCTAssertEqual(s.choose(now: 10, latest: [nil, 5], rates: [0.01, 0.01], caps: [.infinity, .infinity]), 0)
        XCTAssertEqual(s.choose(now: 10, latest: [3, 5], rates: [0.01, 0.01], caps: [.infinity, .infinity]), 0)
        XCTAssertEqual(s.choose(now: 10, latest: [5, 3], rates: [0.01, 0.01], caps: [.infinity, .infinity]), 1)
    }

    /// In a world: one offload in flight; parallel sends both tasks of a frame; round robin 3:1
    /// sends depth, depth, depth, VO, …; AccuMO runs.
    func testModesInAWorld() throws {
        func offloads(_ policy: String) throws -> [(frame: Int64, task: Int32)] {
            let spec = try Scenario.parse("""
                {"name": "a", "duration_s": 1, "drain_s": 1,
                 "models": [{"name": "depth", "latency_ms": {"1": 20}}, {"name": "vo", "latency_ms": {"1": 15}}],
                 "sites": [{"name": "edge"}],
                 "servers": [{"name": "s", "site": "edge"}],
                 "clients": [{"name": "phone", "site": "edge", "fps": 60, "frame_bytes": 20000, "max_offloads_in_flight": 1,
                              "policy": \(policy), "imu": {"noise_deg": 0.1}, "content_estimate": {"noise": 0.1, "every_frames": 3},
                              "motion": {"mean_deg_s": 20, "cv": 1},
                              "network": {"uplink_mbps": 100, "downlink_mbps": 100, "delay_ms": 2},
                              "tasks": [{"name": "depth", "model": "depth", "deadline_ms": 500,
                                         "fallback": {"latency_ms": 8},
                                         "accuracy": {"server": 0.9, "local": 0.7, "per_frame": 0.004, "floor": 0.3}},
                                        {"name": "vo", "model": "vo", "deadline_ms": 500,
                                         "accuracy": {"server": 0.95, "per_degree": 0.004, "floor": 0.2}}]}]}
                """, file: "a.json").spec
            return WorldRun(spec).requests.sorted { ($0.request.frame, $0.request.task) < ($1.request.frame, $1.request.task) }
                .map { ($0.request.frame, $0.request.task) }
        }
        let parallel = try offloads(#"{"name": "accumo", "mode": "parallel"}"#)
        XCTAssertEqual(Set(Dictionary(grouping: parallel, by: \.frame).values.map(\.count)), [2])
        let rr = try offloads(#"{"name": "accumo", "mode": "round_robin", "pattern": [0, 0, 0, 1]}"#)
        XCTAssertEqual(Array(rr.prefix(8).map(\.task)), [0, 0, 0, 1, 0, 0, 0, 1])
        // One in flight: each offload's frame is after the previous result (35 ms apart at least).
        let mpc = try offloads(#""accumo""#)
        XCTAssertGreaterThan(mpc.count, 10)
        XCTAssertEqual(Set(mpc.map(\.task)), [0, 1])
    }
}
