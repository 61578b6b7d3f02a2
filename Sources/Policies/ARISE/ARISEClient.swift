import EdgeWorld
import SimKernel

/// An ARISE client: it offloads what the server's schedule says, nothing before it has one.
/// Tick j is at start + j·τ and its launch `upload + slack` later; the frame captured in
/// (tick j − τ, tick j] belongs to tick j, so with an upload within budget and slack it reaches
/// the server before launch j. The task offloads it when tick j is one of its own (j mod interval
/// = phase), tagged with j, so that the server runs it at launch j and not at an earlier one.
public struct ARISEClient: ClientPolicy {
    var schedule: ARISESchedule?
    var tick = 0

    public init() {}

    public var notices: PolicyNotices { [.tags] }

    public mutating func messageArrived(_ message: ControlMessage, now: SimTime, effects: inout PolicyEffects) {
        if let s = message.payload as? ARISESchedule { schedule = s }
    }

    public mutating func decide(_ view: ClientView) -> [TaskAction] {
        guard let s = schedule, view.now > s.start - s.frameTime else {
            return view.hasFallback.map { $0 ? .local : .skip }
        }
        tick = Int((view.now - s.start + s.frameTime - 1) / s.frameTime)
        return view.hasFallback.indices.map { t in
            let k = t < s.intervals.count ? s.intervals[t] : 0
            if k > 0, tick % k == s.phases[t], view.mayOffload { return .offload }
            return view.hasFallback[t] ? .local : .skip
        }
    }

    /// The tick the request is for (asked right after `decide`, for that frame's requests).
    public func tag(task: Int, frame: Int64) -> Int32 { Int32(truncatingIfNeeded: tick) }
}
