import EdgeWorld
import SimKernel

/// One DisBatcher category as the admission test sees it: a sporadic task whose jobs (one batch
/// per window) come at least `window` apart, are due one `window` after release, and cost at
/// most `cost` (the worst-case latency of the largest batch a window can collect).
public struct WindowTask: Sendable, Equatable {
    public var model: Int
    public var window: SimTime
    public var cost: SimTime
    /// The most frames one window can collect (the batch `cost` is for).
    public var frames: Int

    public init(model: Int, window: SimTime, cost: SimTime, frames: Int) {
        self.model = model
        self.window = window
        self.cost = cost
        self.frames = frames
    }
}

/// Jeffay, Stanat and Martel's test for sporadic tasks with deadlines equal to periods under
/// non-preemptive EDF on one processor ("On Non-Preemptive Scheduling of Periodic and Sporadic
/// Tasks", RTSS 1991, Theorem 5.1), which is exact for sporadic tasks and sufficient for periodic
/// ones whatever their phases. With tasks sorted by period p1 ≤ … ≤ pn:
///   (1) Σ Ci / pi ≤ 1, and
///   (2) for every i > 1 and every L with p1 < L < pi:  L ≥ Ci + Σ_{j<i} ⌊(L − 1) / pj⌋ Cj.
/// Ci in (2) is the blocking a job of a longer period can cause by having started just before.
public enum NonPreemptiveEDF {
    public enum Verdict: Sendable, Equatable {
        case schedulable(utilisation: Double)
        /// Why not, in words (for the `sessions` table's reason).
        case unschedulable(String)
    }

    /// The most points condition (2) may check before the test gives up and says no.
    public static let maxPoints = 2_000_000

    public static func test(_ tasks: [WindowTask]) -> Verdict {
        let sorted = tasks.sorted { ($0.window, $0.model) < ($1.window, $1.model) }
        let u = sorted.reduce(0.0) { $0 + Double($1.cost) / Double($1.window) }
        if u > 1 { return .unschedulable("utilisation \(format(u)) > 1") }
        guard let p1 = sorted.first?.window else { return .schedulable(utilisation: 0) }
        var points = 0
        for i in sorted.indices.dropFirst() {
            let pi = sorted[i].window
            guard pi > p1 + 1 else { continue }
            // The right side is a step function of L that rises only at L = k·pj + 1, so L − RHS is
            // smallest at those points and at L = p1 + 1.
            var candidates: [SimTime] = [p1 + 1]
            for j in 0..<i {
                let pj = sorted[j].window
                var l = pj + 1
                while l < pi {
                    if l > p1 { candidates.append(l) }
                    points += 1
                    if points > maxPoints { return .unschedulable("the windows differ too much to test (over \(maxPoints) points)") }
                    l += pj
                }
            }
            for l in candidates {
                var demand = sorted[i].cost
                for j in 0..<i { demand += SimTime((l - 1) / sorted[j].window) * sorted[j].cost }
                if demand > l {
                    return .unschedulable("a batch of \(sorted[i].frames) for model \(sorted[i].model) can be blocked past its window: "
                                          + "demand \(ms(demand)) ms in \(ms(l)) ms")
                }
            }
        }
        return .schedulable(utilisation: u)
    }

    static func format(_ x: Double) -> String { String(Double((x * 1000).rounded()) / 1000) }
    static func ms(_ t: SimTime) -> String { format(Double(t) / 1e6) }
}

/// The worst-case latency of a batch of `frames` frames of one model on one GPU: the largest
/// runnable batches first, each at its worst case (the profile's p99 or mean × (1 + margin)).
/// Nil if the table cannot run even one frame.
public func worstCaseCost(frames: Int, table: LatencyTable) -> SimTime? {
    var left = frames, total: SimTime = 0
    while left > 0 {
        guard let size = table.largestBatch(notAbove: left) ?? table.batchSizes.first,
              let w = table.worstCase(batchSize: size, layers: table.allLayers) else { return nil }
        total += w.latency
        left -= size
    }
    return total
}
