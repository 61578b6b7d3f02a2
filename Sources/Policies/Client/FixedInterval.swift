import EdgeWorld

/// Offload every `interval`-th frame (while the in-flight limit allows); run the local fallback,
/// where there is one, on the frames between.
public struct FixedIntervalOffload: ClientPolicy {
    public let interval: Int

    public init(interval: Int) {
        precondition(interval >= 1)
        self.interval = interval
    }

    public func decide(_ view: ClientView) -> [TaskAction] {
        let offload = view.frame % Int64(interval) == 0 && view.mayOffload
        return view.hasFallback.map { offload ? .offload : ($0 ? .local : .skip) }
    }
}
