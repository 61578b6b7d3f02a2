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

    /// Whether the result was back by the deadline.
    public var metDeadline: Bool {
        outcome == .completed && request.completed <= request.deadline
    }
}

/// Rows waiting to be written by whoever drives the run (the results store), emptied between
/// slices of events so that memory does not grow with the run.
public struct Outbox: Sendable {
    public var requests: [RequestRecord] = []
    public var batches: [BatchRecord] = []

    public var isEmpty: Bool { requests.isEmpty && batches.isEmpty }

    public mutating func take() -> Outbox {
        defer {
            requests.removeAll(keepingCapacity: true)
            batches.removeAll(keepingCapacity: true)
        }
        return self
    }
}
