import EdgeWorld
import JSONConfig
import Policies
import Scenario
import XCTest

/// The platform's scenario keys: sessions and admission, worst-case margins, interference.
final class PlatformScenarioTests: XCTestCase {
    let base = """
        {"name": "p", "seed": 3, "duration_s": 10,
         "models": [{"name": "m", "latency_ms": {"1": 10}}],
         "sites": [{"name": "edge", "admission": {"name": "max_sessions", "limit": 2}}],
         "servers": [{"name": "s", "site": "edge", "p99_margin": 0.2, "interference": {"mean": 1.3, "cv": 0.2, "step_ms": 50}}],
         "clients": [{"name": "c", "count": 3, "site": "edge", "fps": 10,
                      "session": {"start_s": 1, "arrival_rate_per_s": 2, "duration_s": 3, "request_bytes": 300},
                      "tasks": [{"name": "t", "model": "m", "deadline_ms": 100}],
                      "network": {"uplink_mbps": 10, "downlink_mbps": 10}}]}
        """

    func testKeysAreRead() throws {
        let s = try Scenario.parse(base, file: "p.json")
        XCTAssertEqual(s.spec.servers[0].interference, Interference(mean: 1.3, cv: 0.2, step: 50_000_000))
        XCTAssertEqual(s.spec.servers[0].p99Margin, 0.2)
        XCTAssertEqual(s.spec.latencySources[0].worstCase, "mean × 1.2")
        XCTAssertTrue(s.spec.sites[0].admission is MaxSessionsAdmission)
        let sessions = s.spec.clients.map { $0.session! }
        XCTAssertTrue(sessions.allSatisfy { $0.requestBytes == 300 && $0.start >= 1_000_000_000 && $0.end! > $0.start })
        XCTAssertEqual(sessions.map(\.start), sessions.map(\.start).sorted(), "clients ask one after another")
        // The arrivals follow the seed: another seed, other times.
        let other = try Scenario.parse(base, file: "p.json", seed: 4)
        XCTAssertNotEqual(other.spec.clients.map { $0.session!.start }, sessions.map(\.start))
    }

    func testMistakesAreOneLineWithThePath() {
        func error(_ from: String, _ to: String) -> String {
            do {
                _ = try Scenario.parse(base.replacingOccurrences(of: from, with: to), file: "p.json")
                return "no error"
            } catch { return error.description }
        }
        XCTAssertTrue(error("\"mean\": 1.3", "\"mean\": 0").contains("servers[0].interference.mean: must be between 0.001 and 1000"))
        XCTAssertTrue(error("\"step_ms\": 50", "\"step_ms\": 1e-7").contains("step_ms: 1e-07 ms rounds to 0 ns"))
        XCTAssertTrue(error("\"step_ms\": 50", "\"step_ms\": 0.0005").contains("step_ms: must be at least 0.001 (1 µs)"))
        XCTAssertTrue(error("\"duration_s\": 3,", "\"duration_s\": 3, \"end_s\": 4,").contains("give either end_s or duration_s"))
        XCTAssertTrue(error("\"max_sessions\"", "\"max_sesions\"").contains("did you mean \"max_sessions\""))
        XCTAssertTrue(error("\"start_s\": 1", "\"strat_s\": 1").contains("did you mean \"start_s\""))
    }
}

/// The `control_plane` key and its registry.
final class ControlPlaneScenarioTests: XCTestCase {
    /// Four cameras at 10 fps, servers a (1 GPU) and b (3 GPUs). Client by client, the server
    /// with the least load per GPU after taking 10 fps: c0 → b (10/3 < 10), c1 → b (20/3 < 10),
    /// c2 → a (10 = 30/3, the lower index), c3 → b (30/3 < 20). Objective: max(10/1, 30/3) = 10.
    func testBalanceRoutesByLoadPerExecutorAndRecordsThePlan() throws {
        let run = try WorldRun(scenario: """
            {"name": "p", "duration_s": 1, "control_plane": "balance",
             "models": [{"name": "m", "latency_ms": {"1": 1}}],
             "sites": [{"name": "edge"}],
             "servers": [{"name": "a", "site": "edge", "gpus": 1}, {"name": "b", "site": "edge", "gpus": 3}],
             "clients": [{"name": "c", "count": 4, "site": "edge", "fps": 10, "network": {"uplink_mbps": 100, "downlink_mbps": 100},
                          "tasks": [{"name": "t", "model": "m", "deadline_ms": 100}]}]}
            """)
        let out = run
        for c in 0..<4 {
            let servers = Set(out.requests.filter { $0.request.client == Int32(c) }.map(\.request.server))
            XCTAssertEqual(servers, [c == 2 ? 0 : 1], "client \(c)")
        }
        XCTAssertEqual(out.plans.map(\.json), ["{\"routes\": [[0, 0, 1], [1, 0, 1], [2, 0, 0], [3, 0, 1]]}"])
        XCTAssertEqual(out.plans.map(\.objective), [10])
        // A misspelt planner is one line with the known ones.
        XCTAssertThrowsError(try Scenario.parse("""
            {"name": "p", "duration_s": 1, "control_plane": "balanse",
             "models": [{"name": "m", "latency_ms": {"1": 1}}], "servers": [{"name": "a"}],
             "clients": [{"name": "c", "fps": 10, "model": "m", "deadline_ms": 100, "network": {"uplink_mbps": 1, "downlink_mbps": 1}}]}
            """, file: "p.json")) { XCTAssertTrue("\($0)".contains("did you mean \"balance\""), "\($0)") }
    }
}
