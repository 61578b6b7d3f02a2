import EdgeWorld
import Scenario
import Foundation

/// The repository root, found from this file's place in it.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// A valid scenario as text, edited by tests with plain string replacement so that each error
/// case is a one-line change from something that works.
enum Fixture {
    static let valid = """
        {
          "name": "fixture",
          "seed": 7,
          "duration_s": 2,
          "models": [
            {"name": "resnet50", "latency_ms": {"1": 10.7, "2": 11.3, "4": 12.7}}
          ],
          "servers": [
            {"name": "edge", "gpus": 1, "policy": {"name": "fixed_batch", "batch_size": 2}}
          ],
          "clients": [
            {"name": "phone", "count": 3, "model": "resnet50", "fps": 30, "deadline_ms": 100,
             "frame_bytes": 30000, "result_bytes": 2000,
             "network": {"uplink_mbps": 20, "downlink_mbps": 50, "delay_ms": 10}},
            {"name": "glasses", "model": "resnet50", "fps": 60, "deadline_ms": 50,
             "network": {"uplink_mbps": 20, "downlink_mbps": 50}}
          ]
        }
        """

    static func replacing(_ old: String, with new: String) -> String {
        precondition(valid.contains(old), "fixture has no \(old)")
        return valid.replacingOccurrences(of: old, with: new)
    }
}

/// A world run to its end with every row kept (for small worlds whose outcome a test works out).
struct WorldRun {
    var requests: [RequestRecord] = []
    var batches: [BatchRecord] = []
    var plans: [PlanRecord] = []
    var summary: RunSummary

    init(_ spec: WorldSpec) {
        var spec = spec
        spec.detail = .requests
        var sim = World.simulation(spec)
        var requests: [RequestRecord] = [], batches: [BatchRecord] = [], plans: [PlanRecord] = []
        func take(_ o: Outbox) {
            requests += o.requests
            batches += o.batches
            plans += o.plans
        }
        while sim.run(until: spec.endTime, maxEvents: 1 << 16) == .eventBudget { take(sim.model.takeOutbox()) }
        summary = sim.model.finish(at: sim.now)
        take(sim.model.takeOutbox())
        self.requests = requests
        self.batches = batches
        self.plans = plans
    }

    /// Parses `text` as a scenario and runs it.
    init(scenario text: String) throws {
        self.init(try Scenario.parse(text, file: "test.json").spec)
    }
}
