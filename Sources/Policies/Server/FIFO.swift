import EdgeWorld
import SimKernel

/// First come, first served, one request per batch (no batching).
public struct FIFOPolicy: ServerPolicy {
    public init() {}

    public func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        guard let queue = queues.oldestQueue() else { return .idle }
        return .run(queue: queue, size: 1)
    }
}
