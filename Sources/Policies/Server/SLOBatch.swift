import EdgeWorld
import SimKernel

/// Nexus's batch size against the latency objective (Shen et al., SOSP 2019): per model, the
/// largest batch b whose profiled latency, doubled, fits the objective (a request may wait one
/// batch's time for its batch to form and one to run), so 2·ℓ(b) ≤ SLO. An idle GPU runs the
/// oldest queue's waiting requests up to that size at once. The objective is `slo_ms`, or else the
/// time a request has left when it reaches the server, the smallest seen per model. A DeepRT
/// baseline (docs/policies/deeprt.md).
public struct SLOBatchPolicy: ServerPolicy {
    let tables: [LatencyTable?]
    var objective: LatencyObjective

    public init(tables: [LatencyTable?], slo: SimTime?) {
        self.tables = tables
        objective = LatencyObjective(given: slo, models: tables.count)
    }

    public var notices: PolicyNotices { objective.learns ? [.arrivals] : [] }

    public mutating func requestArrived(_ request: QueuedRequest, queue: Int, queues: RequestQueues, now: SimTime,
                                        effects: inout PolicyEffects) {
        objective.observe(request, model: queues.model(ofQueue: queue), now: now)
    }

    /// The largest batch of model `m` with 2·ℓ(b) ≤ the objective (1 if none fits).
    func batchLimit(model m: Int) -> Int {
        guard let table = tables[m] else { return 1 }
        let slo = objective.of(model: m)
        return table.batchSizes.last { b in (table.latency(batchSize: b) ?? .max) <= slo / 2 } ?? table.batchSizes[0]
    }

    public func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        guard let q = queues.oldestQueue() else { return .idle }
        let m = queues.model(ofQueue: q)
        let size = tables[m]?.largestBatch(notAbove: min(queues.count(queue: q), batchLimit(model: m))) ?? 1
        return .run(queue: q, size: size)
    }
}
