import EdgeWorld
import SimKernel

/// Batches of exactly `batchSize`: a GPU waits until that many requests of one model (and layer
/// range) are queued, then takes the queue whose oldest request has waited longest.
public struct FixedBatchPolicy: ServerPolicy {
    public let batchSize: Int

    public init(batchSize: Int) {
        precondition(batchSize >= 1)
        self.batchSize = batchSize
    }

    public func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        guard let queue = queues.oldestQueue(withAtLeast: batchSize) else { return .idle }
        return .run(queue: queue, size: batchSize)
    }
}
