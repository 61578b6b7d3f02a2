import EdgeWorld
import SimKernel

/// The latency objective a batching baseline works to, per model: the one given (`slo_ms`), or
/// else learned as the least time a request had left when it reached the server (what a server
/// that is not told the SLO can observe). Shared by `aimd_batch` and `slo_batch`.
struct LatencyObjective: Sendable {
    let given: SimTime?
    var learned: [SimTime]

    init(given: SimTime?, models: Int) {
        self.given = given
        learned = Array(repeating: .max, count: models)
    }

    /// Whether it needs to hear arrivals (`PolicyNotices.arrivals`) to learn.
    var learns: Bool { given == nil }

    mutating func observe(_ request: QueuedRequest, model m: Int, now: SimTime) {
        // A request already late on arrival (a network spike) says nothing of the objective.
        if request.deadline > now { learned[m] = min(learned[m], request.deadline - now) }
    }

    func of(model m: Int) -> SimTime { given ?? learned[m] }
}
