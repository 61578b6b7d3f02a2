import EdgeWorld
import SimKernel

/// Dynamic batching as in NVIDIA Triton's dynamic batcher: run as soon as `maxBatch` requests of a
/// model wait; otherwise run what is there once the oldest has waited `maxQueueDelay`.
/// A partial batch takes the largest size the model's latency table has.
public struct DynamicBatchPolicy: ServerPolicy {
    public let maxBatch: Int
    public let maxQueueDelay: SimTime
    /// Per model: the largest batch size that can run and is not above n, for n in 0...maxBatch.
    let usableSize: [[Int]]

    /// `tables`: the server's latency table of each model (nil for models it does not serve).
    public init(maxBatch: Int, maxQueueDelay: SimTime, tables: [LatencyTable?]) {
        self.maxBatch = maxBatch
        self.maxQueueDelay = maxQueueDelay
        usableSize = tables.map { table in (0...maxBatch).map { table?.largestBatch(notAbove: $0) ?? 0 } }
    }

    public func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision {
        if let full = queues.oldestQueue(withAtLeast: maxBatch) {
            return .run(queue: full, size: usableSize[queues.model(ofQueue: full)][maxBatch])
        }
        var earliestTimeout: SimTime?
        for q in 0..<queues.queueCount {
            guard let head = queues.head(queue: q) else { continue }
            let timeout = head.queuedAt + maxQueueDelay
            if earliestTimeout == nil || timeout < earliestTimeout! { earliestTimeout = timeout }
        }
        guard let timeout = earliestTimeout else { return .idle }
        if timeout > now { return .wait(until: timeout) }
        let queue = queues.oldestQueue()!
        return .run(queue: queue, size: usableSize[queues.model(ofQueue: queue)][queues.count(queue: queue)])
    }
}
