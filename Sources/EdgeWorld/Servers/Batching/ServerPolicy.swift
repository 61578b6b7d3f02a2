import SimKernel

/// What an idle GPU should do next.
public enum BatchDecision: Sendable, Equatable {
    /// Run the first `size` waiting requests of `queue` as one batch.
    case run(queue: Int, size: Int)
    /// Nothing yet; ask again at `time` (or sooner, if a request arrives).
    case wait(until: SimTime)
    /// Nothing to do until a request arrives.
    case idle
}

/// The server point of the four policy points: queueing and batching (FIFO, fixed-size or
/// dynamic batching, …).
///
/// The server calls it whenever a GPU is idle and something changed; the policy sees only what
/// a real server would: the waiting requests, their arrival times and deadlines, and the clock.
public protocol ServerPolicy: Sendable {
    mutating func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision
}
