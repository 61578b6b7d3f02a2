import EdgeWorld
import SimKernel

/// First come, first served, one request per batch (no batching).
public struct FIFOPolicy: ServerPolicy {
    public init() {}

    public func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        guard let model = queues.oldestModel() else { return .idle }
        return .run(model: model, size: 1)
    }
}
