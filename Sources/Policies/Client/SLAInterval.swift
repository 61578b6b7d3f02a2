import EdgeWorld
import SimKernel

/// A client that picks its own offloading interval: the longest (up to `maxInterval` frames)
/// whose predicted mean accuracy meets `sla` at the latency it measures (an exponentially
/// weighted mean of its results' latencies, starting at the task's deadline), offloading the
/// frames f with (f + φ) mod k = 0, φ drawn for the client from its own stream (a random phase,
/// so clients are out of step even when they start together). An ARISE baseline
/// (docs/policies/arise.md).
public struct SLAIntervalOffload: ClientPolicy {
    let sla: Double
    let maxInterval: Int
    let frameTime: SimTime
    let accuracy: [AccuracyModel]
    /// The camera rotation assumed, as ARISE's planner assumes it.
    let degreesPerSecond: Double
    /// Accuracy kept above the SLA in the prediction, for what the mean hides (motion varies).
    let margin: Double
    var latency: [Double]

    public init(sla: Double, maxInterval: Int, fps: Double, deadlines: [SimTime], accuracy: [AccuracyModel], degreesPerSecond: Double = 0,
                margin: Double = 0) {
        self.sla = sla
        self.margin = margin
        self.degreesPerSecond = degreesPerSecond
        self.maxInterval = maxInterval
        frameTime = SimTime((1e9 / fps).rounded())
        self.accuracy = accuracy
        latency = deadlines.map(Double.init)
    }

    public var notices: PolicyNotices { [.results] }

    public mutating func resultArrived(_ result: ResultNotice, effects: inout PolicyEffects) {
        guard latency.indices.contains(result.task) else { return }
        latency[result.task] = 0.8 * latency[result.task] + 0.2 * Double(result.latency)
    }

    /// The interval task `t` uses now.
    func interval(task t: Int) -> Int {
        let d = (latency[t] / Double(frameTime)).rounded(.up)
        return (1...maxInterval).last { planAccuracy(accuracy[t], interval: $0, delayFrames: d, frameTime: frameTime, degreesPerSecond: degreesPerSecond) >= sla + margin } ?? 1
    }

    public func decide(_ view: ClientView) -> [TaskAction] {
        view.hasFallback.indices.map { t in
            guard t < accuracy.count else { return view.hasFallback[t] ? .local : .skip }
            let k = UInt64(interval(task: t))
            if (UInt64(view.frame) &+ view.draw % k) % k == 0, view.mayOffload { return .offload }
            return view.hasFallback[t] ? .local : .skip
        }
    }
}
