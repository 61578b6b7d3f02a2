import EdgeWorld
import SimKernel

/// Clipper's adaptive batching (Crankshaw et al., NSDI 2017, §4.3.1): per model, a batch-size
/// limit that grows by `step` after every batch that ran within the latency objective and shrinks
/// by 10 % (at least to 1) after one that did not. An idle GPU runs the oldest queue's waiting
/// requests up to the limit, without waiting for more. The objective is `slo_ms`, or else the
/// time a request has left when it reaches the server (its deadline less its arrival), the
/// smallest seen per model. A DeepRT baseline (docs/policies/deeprt.md).
public struct AIMDBatchPolicy: ServerPolicy {
    let tables: [LatencyTable?]
    let step: Int
    var limit: [Int]
    var objective: LatencyObjective

    public init(tables: [LatencyTable?], step: Int, slo: SimTime?) {
        self.tables = tables
        self.step = step
        limit = Array(repeating: 1, count: tables.count)
        objective = LatencyObjective(given: slo, models: tables.count)
    }

    public var notices: PolicyNotices { objective.learns ? [.arrivals, .batches] : [.batches] }

    public mutating func requestArrived(_ request: QueuedRequest, queue: Int, queues: RequestQueues, now: SimTime,
                                        effects: inout PolicyEffects) {
        objective.observe(request, model: queues.model(ofQueue: queue), now: now)
    }

    public func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        guard let q = queues.oldestQueue() else { return .idle }
        let m = queues.model(ofQueue: q)
        let size = tables[m]?.largestBatch(notAbove: min(queues.count(queue: q), limit[m])) ?? 1
        return .run(queue: q, size: size)
    }

    public mutating func batchFinished(_ batch: BatchNotice, effects: inout PolicyEffects) {
        guard let actual = batch.actual, !batch.aborted else { return }
        let largest = tables[batch.model]?.largestBatch ?? 1
        if actual <= objective.of(model: batch.model) {
            limit[batch.model] = min(largest, limit[batch.model] + step)
        } else {
            limit[batch.model] = max(1, Int((Double(limit[batch.model]) * 0.9).rounded(.down)))
        }
    }
}
