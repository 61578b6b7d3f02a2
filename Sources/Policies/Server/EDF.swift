import EdgeWorld
import SimKernel

/// Earliest deadline first without batching: an idle GPU runs, alone, the waiting request at the
/// head of the queue whose head is due first. (A queue holds one model's requests in arrival
/// order, which is deadline order where a model's streams share one relative deadline; the
/// platform runs a queue's requests from its head.) A DeepRT baseline (docs/policies/deeprt.md).
public struct EDFPolicy: ServerPolicy {
    public init() {}

    public func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        var best: Int?
        for q in 0..<queues.queueCount {
            guard let head = queues.head(queue: q) else { continue }
            if best == nil || (head.deadline, head.queuedAt) < (queues.head(queue: best!)!.deadline, queues.head(queue: best!)!.queuedAt) { best = q }
        }
        return best.map { .run(queue: $0, size: 1) } ?? .idle
    }
}
