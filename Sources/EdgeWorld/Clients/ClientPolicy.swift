import SimKernel

/// What a client knows when it decides what to do with a frame.
public struct ClientView: Sendable {
    public let frame: Int64
    public let now: SimTime
    /// Frames offloaded whose results are not all back.
    public let offloadsInFlight: Int
    public let maxOffloadsInFlight: Int?
    /// Per task: whether it has a local fallback.
    public let hasFallback: [Bool]
    /// The client's results per task; shared, not copied, on every frame.
    let results: [TaskResults]

    /// The frame of the freshest result the app has for `task` (server or local), if any.
    public func latestResultFrame(task: Int) -> Int64? { results[task].latest }

    /// Whether one more offload fits under the in-flight limit.
    public var mayOffload: Bool { maxOffloadsInFlight.map { offloadsInFlight < $0 } ?? true }
}

/// Per task, what to do with this frame.
public enum TaskAction: Sendable, Equatable {
    /// Send the frame (or, for a split, run the device stage and send its output).
    case offload
    /// Run the task's local fallback on the device.
    case local
    /// Do nothing: the app keeps the last result it has.
    case skip
}

/// The client point of the four policy points: what to offload, when, and what to run locally.
public protocol ClientPolicy: Sendable {
    mutating func decide(_ view: ClientView) -> [TaskAction]
}

/// Offload every task of every frame while the in-flight limit allows; otherwise run the local
/// fallback where there is one (the default).
public struct OffloadEveryFrame: ClientPolicy {
    public init() {}
    public func decide(_ view: ClientView) -> [TaskAction] {
        let offload = view.mayOffload
        return view.hasFallback.map { offload ? .offload : ($0 ? .local : .skip) }
    }
}
