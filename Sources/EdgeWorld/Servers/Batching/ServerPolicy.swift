import SimKernel

/// What an idle GPU should do next.
public enum BatchDecision: Sendable, Equatable {
    /// Run the first `size` waiting requests of `queue` as one batch.
    case run(queue: Int, size: Int)
    /// Nothing yet; ask again at `time` (or sooner, if a request arrives).
    case wait(until: SimTime)
    /// Nothing to do until a request arrives.
    case idle
    /// Drop these waiting requests (their `QueuedRequest.slot`s) with a reason, then ask again.
    case drop(requests: [Int32], reason: DropReason)
}

/// A batch as its server saw it: when it started, how long its profile said it would take and,
/// once finished, how long it took (the difference is service variability or interference).
public struct BatchNotice: Sendable, Equatable {
    public let gpu: Int
    public let queue: Int
    public let model: Int
    public let size: Int
    public let started: SimTime
    /// The profiled (mean) latency of this batch size and layer range.
    public let profiled: SimTime
    /// Its worst case (p99): measured, or the mean with the server's margin (`LatencyTable.worstCase`).
    public let worstCase: SimTime
    /// The time it actually took; nil when it has only started.
    public let actual: SimTime?
    /// The batch was stopped before its end (its only request, a redundant copy, lost): `actual`
    /// is how long it ran, not how long it would have taken. A policy that learns service times
    /// should skip it.
    public var aborted = false
}

/// The server point of the policy points: queueing and batching (FIFO, fixed-size or
/// dynamic batching, …).
///
/// The server calls `nextBatch` whenever a GPU is idle and something changed; the policy sees only
/// what a real server would: the waiting requests (client, task, arrival, deadline), and the
/// clock. The callbacks default to doing nothing.
public protocol ServerPolicy: Sendable {
    mutating func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime) -> BatchDecision
    /// `nextBatch`, with the means to set timers; the world calls this one.
    mutating func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime, effects: inout PolicyEffects) -> BatchDecision
    /// A request joined queue `queue` (every GPU may be busy).
    mutating func requestArrived(_ request: QueuedRequest, queue: Int, now: SimTime, effects: inout PolicyEffects)
    /// `requestArrived`, with the queues it joined (to see the queue's model); the world calls this one.
    mutating func requestArrived(_ request: QueuedRequest, queue: Int, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects)
    mutating func batchStarted(_ batch: BatchNotice, effects: inout PolicyEffects)
    mutating func batchFinished(_ batch: BatchNotice, effects: inout PolicyEffects)
    /// A timer this policy set fired; idle GPUs are offered work right after.
    mutating func timerFired(token: Int, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects)
    /// A control message for this server arrived; idle GPUs are offered work right after.
    mutating func messageArrived(_ message: ControlMessage, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects)
    /// Whether `nextBatch` may answer differently for different GPUs (GPUs of other speeds or
    /// shares, per-GPU plans). When false (the default), the server stops asking at the first
    /// idle GPU told to wait or stay idle, since every other idle GPU would be told the same.
    var answersDependOnGPU: Bool { get }
    /// The notices it implements (`.arrivals`, `.batches`); none by default.
    var notices: PolicyNotices { get }
}

extension ServerPolicy {
    public mutating func nextBatch(queues: RequestQueues, gpu: Int, now: SimTime, effects: inout PolicyEffects) -> BatchDecision {
        nextBatch(queues: queues, gpu: gpu, now: now)
    }
    public mutating func requestArrived(_ request: QueuedRequest, queue: Int, now: SimTime, effects: inout PolicyEffects) {}
    public mutating func requestArrived(_ request: QueuedRequest, queue: Int, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {
        requestArrived(request, queue: queue, now: now, effects: &effects)
    }
    public mutating func batchStarted(_ batch: BatchNotice, effects: inout PolicyEffects) {}
    public mutating func batchFinished(_ batch: BatchNotice, effects: inout PolicyEffects) {}
    public mutating func timerFired(token: Int, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {}
    public mutating func messageArrived(_ message: ControlMessage, queues: RequestQueues, now: SimTime, effects: inout PolicyEffects) {}
    public var answersDependOnGPU: Bool { false }
    public var notices: PolicyNotices { [] }
}
