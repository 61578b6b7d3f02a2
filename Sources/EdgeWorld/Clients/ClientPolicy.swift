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
    /// A number drawn once for this client from its own seeded stream ("client/<name>/policy"),
    /// for a policy's random choices, such as a phase.
    public let draw: UInt64
    /// Per task, the frame of its freshest result (-1: none).
    let latest: LatestFrames
    /// Per task, what the device's IMU says the camera turned (degrees) since the capture of the
    /// task's freshest result, with the sensor's noise; nil without an IMU or before any result.
    /// Never the simulator's ground truth: a noisy reading, paid for in device time.
    public let imuRotation: [Double?]?
    /// Per task, the device's latest estimate of the accuracy its freshest server result has
    /// lost since its frame (`ContentEstimateSpec`: noisy, computed every few frames at a cost);
    /// nil where the client has no such estimator.
    public let contentChange: [Double?]?

    /// The frame of the freshest result the app has for `task` (server or local), if any.
    public func latestResultFrame(task: Int) -> Int64? { latest[task] >= 0 ? latest[task] : nil }

    /// Whether one more offload fits under the in-flight limit.
    public var mayOffload: Bool { maxOffloadsInFlight.map { offloadsInFlight < $0 } ?? true }
}

/// Per task, a frame number: four held inline, so that a view of a client with up to four tasks
/// allocates nothing; more go into an array.
struct LatestFrames: Sendable {
    private var inline = InlineFour<Int64>(repeating: -1)
    private var more: [Int64] = []
    private var count = 0

    mutating func append(_ frame: Int64) {
        if count < 4 { inline[count] = frame } else { more.append(frame) }
        count += 1
    }

    subscript(task: Int) -> Int64 {
        precondition(task >= 0 && task < count, "task \(task) out of range")
        return task < 4 ? inline[task] : more[task - 4]
    }
}

/// Per task, what to do with this frame.
public enum TaskAction: Sendable, Equatable {
    /// Send the frame (or, for a split, run the device stage and send its output).
    case offload
    /// Run the task's local fallback on the device.
    case local
    /// Do nothing: the app keeps the last result it has.
    case skip

    /// `.offload` for each of `tasks` tasks (up to 16), one shared array per count: the usual
    /// answer of the default policy, which then allocates no array per frame.
    public static func offloadAll(_ tasks: Int) -> [TaskAction]? {
        tasks >= 0 && tasks < allOffload.count ? allOffload[tasks] : nil
    }

    private static let allOffload: [[TaskAction]] = (0...16).map { Array(repeating: .offload, count: $0) }
}

/// A result reached the client: what the client itself can observe of it.
public struct ResultNotice: Sendable, Equatable {
    public let frame: Int64
    public let task: Int
    /// When the frame was captured and when its result arrived.
    public let captured: SimTime
    public let arrived: SimTime
    public var latency: SimTime { arrived - captured }
    /// Whether it came back by the task's deadline.
    public let metDeadline: Bool
    /// Where its last stage ran: nil on the device, else the server's index.
    public let server: Int?
}

/// The client point of the policy points: what to offload, when, and what to run locally.
///
/// Only `decide` is required. The callbacks default to doing nothing; a policy that keeps
/// timers implements `decide(_:effects:)` and `timerFired` and sets them through `effects`.
public protocol ClientPolicy: Sendable {
    mutating func decide(_ view: ClientView) -> [TaskAction]
    /// `decide`, with the means to set timers; the world calls this one.
    mutating func decide(_ view: ClientView, effects: inout PolicyEffects) -> [TaskAction]
    /// A result of this client's arrived (server results and device stages alike, not local fallbacks).
    mutating func resultArrived(_ result: ResultNotice, effects: inout PolicyEffects)
    /// A timer this policy set fired.
    mutating func timerFired(token: Int, now: SimTime, effects: inout PolicyEffects)
    /// A control message for this client arrived (a schedule, an admission reply).
    mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects)
    /// An upload left the device: `bytes` in `seconds` on the client's own radio link.
    mutating func uplinkObserved(bitsPerSecond: Double, bytes: Int, now: SimTime, effects: inout PolicyEffects)
    /// A tag for the request of `task` for `frame` (a priority class, a stream id) that servers'
    /// policies see on the queued request; asked only with `.tags` in `notices`.
    func tag(task: Int, frame: Int64) -> Int32
    /// The notices it implements (`.results`, `.bandwidth`, `.tags`, `.decisionEffects`); none by default.
    var notices: PolicyNotices { get }
}

extension ClientPolicy {
    public mutating func decide(_ view: ClientView, effects: inout PolicyEffects) -> [TaskAction] { decide(view) }
    public mutating func resultArrived(_ result: ResultNotice, effects: inout PolicyEffects) {}
    public mutating func timerFired(token: Int, now: SimTime, effects: inout PolicyEffects) {}
    public mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {}
    public mutating func uplinkObserved(bitsPerSecond: Double, bytes: Int, now: SimTime, effects: inout PolicyEffects) {}
    public func tag(task: Int, frame: Int64) -> Int32 { 0 }
    public var notices: PolicyNotices { [] }
}

/// Offload every task of every frame while the in-flight limit allows; otherwise run the local
/// fallback where there is one (the default).
public struct OffloadEveryFrame: ClientPolicy {
    public init() {}
    public func decide(_ view: ClientView) -> [TaskAction] {
        let offload = view.mayOffload
        if offload, let all = TaskAction.offloadAll(view.hasFallback.count) { return all }
        return view.hasFallback.map { offload ? .offload : ($0 ? .local : .skip) }
    }
}
