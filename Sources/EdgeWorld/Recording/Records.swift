import SimKernel

/// One batch as it ran on a GPU.
public struct BatchRecord: Sendable, Equatable {
    public var id: Int64
    public var server: Int32
    public var gpu: Int32
    public var model: Int32
    public var size: Int32
    public var start: SimTime
    public var end: SimTime
    /// The layers it ran, [firstLayer, endLayer) of the model (all of them for whole-model serving).
    public var firstLayer: Int32 = 0
    public var endLayer: Int32 = 0
}

/// A finished request as it is written out: its timestamps and how it ended.
public struct RequestRecord: Sendable {
    public var request: Request
    public var outcome: RequestOutcome
    /// Where it ran: its route's stages.
    public var route: Route?

    /// Whether the result was back by the deadline.
    public var metDeadline: Bool {
        outcome == .completed && request.completed <= request.deadline
    }
}

/// The accuracy the app had for one task at one frame.
public struct FrameRecord: Sendable, Equatable {
    public var client: Int32
    public var task: Int32
    public var frame: Int64
    public var time: SimTime
    /// Frames since the frame of the result in use; -1 before any result.
    public var staleness: Int64
    public var accuracy: Double
    public var source: ResultSource
}

/// One figure of one entity over one time bin [start, end) (the `bins` table).
public struct BinRecord: Sendable, Equatable {
    public enum Scope: String, Sendable { case run, server, gpu, link, task }
    public enum Metric: String, Sendable {
        /// Requests that completed, met their deadline, or were dropped in the bin (by when they ended).
        case completed, met, dropped
        /// Mean latency of the requests completed in the bin, ms.
        case latencyMeanMs = "latency_mean_ms"
        /// Share of the bin a GPU was busy, or a link carried data.
        case utilization
        /// Requests waiting in a server's queues at the bin's end.
        case queued
        /// Frames in the bin and their mean accuracy, per task.
        case frames
        case accuracyMean = "accuracy_mean"
    }
    public var start: SimTime
    public var end: SimTime
    public var scope: Scope
    /// The server, "server/gpu", link or task; the scenario's name for the run.
    public var name: String
    public var metric: Metric
    public var value: Double
}

/// One transfer's time on one link (recorded only for traces: `WorldSpec.recordTransfers`).
public struct TransferRecord: Sendable, Equatable {
    public var link: Int32
    public var start: SimTime
    public var end: SimTime
    public var bytes: Int
}

/// A request that ran in a batch (recorded only for traces: `WorldSpec.recordTransfers`), written
/// just before the batch's own record.
public struct BatchMember: Sendable, Equatable {
    public var batch: Int64
    public var request: UInt64
}

/// A server's waiting requests after a change (recorded only for traces:
/// `WorldSpec.recordTransfers`). Several may share a time; the last one holds.
public struct QueueRecord: Sendable, Equatable {
    public var server: Int32
    public var time: SimTime
    public var queued: Int32
}

/// Rows waiting to be written by whoever drives the run (the results store), emptied between
/// slices of events so that memory does not grow with the run.
public struct Outbox: Sendable {
    public var bins: [BinRecord] = []
    public var transfers: [TransferRecord] = []
    public var queues: [QueueRecord] = []
    public var members: [BatchMember] = []
    public var requests: [RequestRecord] = []
    public var batches: [BatchRecord] = []
    public var frames: [FrameRecord] = []
    /// Plans the control plane recorded (every detail level: plans are few).
    public var plans: [PlanRecord] = []

    public init() {}

    public var isEmpty: Bool { requests.isEmpty && batches.isEmpty && frames.isEmpty && plans.isEmpty && bins.isEmpty && transfers.isEmpty && queues.isEmpty && members.isEmpty }

    public mutating func take() -> Outbox {
        defer {
            requests.removeAll(keepingCapacity: true)
            batches.removeAll(keepingCapacity: true)
            frames.removeAll(keepingCapacity: true)
            plans.removeAll(keepingCapacity: true)
            bins.removeAll(keepingCapacity: true)
            transfers.removeAll(keepingCapacity: true)
            queues.removeAll(keepingCapacity: true)
            members.removeAll(keepingCapacity: true)
        }
        return self
    }
}
