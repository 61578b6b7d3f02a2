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

/// Rows waiting to be written by whoever drives the run (the results store), emptied between
/// slices of events so that memory does not grow with the run.
public struct Outbox: Sendable {
    public var requests: [RequestRecord] = []
    public var batches: [BatchRecord] = []
    public var frames: [FrameRecord] = []
    /// Plans the control plane recorded (every detail level: plans are few).
    public var plans: [PlanRecord] = []

    public init() {}

    public var isEmpty: Bool { requests.isEmpty && batches.isEmpty && frames.isEmpty && plans.isEmpty }

    public mutating func take() -> Outbox {
        defer {
            requests.removeAll(keepingCapacity: true)
            batches.removeAll(keepingCapacity: true)
            frames.removeAll(keepingCapacity: true)
            plans.removeAll(keepingCapacity: true)
        }
        return self
    }
}
