/// AccuMO's upper level (Kong, Xu, Meng, Hu, MobiCom 2023; the authors' MpcScheduler): when no
/// offload is outstanding, choose which task to offload next by looking `horizon` frames ahead.
///
/// A trail is a sequence of offloads over the horizon in which offloading task j occupies L_j
/// frames (its turnaround): the task, then L_j − 1 frames of waiting. Every trail is enumerated
/// (depth first, task 0 first at each step) and costed as Σ_frames Σ_j min(r_j · s_j, C_j), s_j the
/// frames since the capture of task j's latest result: a result arrives L_j frames after its
/// offload and makes the task's staleness that of its offload frame. A trail in which some task's
/// staleness passes its stride limit S_j is infeasible. The first task of the cheapest feasible
/// trail is offloaded (ties: the first trail); if none is feasible, the task whose latest result is
/// oldest (ties: the later task, as the code's strict comparison has it).
public struct AccuMOScheduler: Sendable {
    public let horizon: Int
    /// Turnaround of each task in frames (at least 1).
    public let turnaround: [Int]
    public let strideLimit: [Int]
    /// Every trail of the horizon, each a task (or -1: waiting) per frame.
    public let trails: [[Int]]

    /// The most trails enumerated: with turnarounds shorter than the code's presets (a result
    /// back within a frame or two) the trails of 30 frames would number up to 2^30, so the
    /// horizon is shortened until they fit (a departure only for such fast turnarounds).
    public static let maxTrails = 20_000

    public init(horizon requested: Int, turnaround: [Int], strideLimit: [Int]) {
        let turnaround = turnaround.map { max(1, $0) }
        // count[h]: trails of h frames (a trail longer than h is cut, so every step counts).
        var horizon = max(1, requested)
        while horizon > 1 {
            var count = [Double](repeating: 1, count: horizon + 1)
            for h in 1...horizon { count[h] = turnaround.reduce(0.0) { $0 + count[max(0, h - $1)] } }
            if count[horizon] <= Double(Self.maxTrails) { break }
            horizon -= 1
        }
        self.horizon = horizon
        self.turnaround = turnaround
        self.strideLimit = strideLimit
        var out: [[Int]] = []
        func extend(_ trail: [Int]) {
            if trail.count >= horizon { out.append(Array(trail.prefix(horizon))); return }
            for j in turnaround.indices {
                extend(trail + [j] + Array(repeating: -1, count: turnaround[j] - 1))
            }
        }
        extend([])
        trails = out
    }

    /// Whether this scheduler was built for these turnarounds.
    public func planned(turnaround t: [Int]) -> Bool { t.map { max(1, $0) } == turnaround }

    /// The task to offload now, at frame `now`: `latest[j]` is the capture frame of task j's
    /// latest result (nil: none yet), `rates` the predicted accuracy drop per frame of staleness,
    /// `caps` the most a task can lose (the fallback's level; .infinity without one).
    public func choose(now: Int64, latest: [Int64?], rates: [Double], caps: [Double]) -> Int {
        var best: Int?, bestCost = Double.infinity
        for (k, trail) in trails.enumerated() {
            guard let cost = self.cost(trail, now: now, latest: latest, rates: rates, caps: caps) else { continue }
            if cost < bestCost { bestCost = cost; best = k }
        }
        if let best { return trails[best][0] }
        // None feasible: the task whose latest result is oldest (never counts as oldest).
        var pick = 0
        for j in latest.indices.dropFirst() {
            let a = latest[pick] ?? Int64.min, b = latest[j] ?? Int64.min
            if !(a < b) { pick = j }
        }
        return pick
    }

    /// The cost of `trail`, or nil where it is infeasible.
    public func cost(_ trail: [Int], now: Int64, latest start: [Int64?], rates: [Double], caps: [Double]) -> Double? {
        var latest = start
        var pending: [Int64?] = Array(repeating: nil, count: start.count)
        var total = 0.0
        for i in 0..<horizon {
            let f = now + Int64(i)
            for j in latest.indices {
                if let p = pending[j], f - p >= Int64(turnaround[j]) {
                    latest[j] = p
                    pending[j] = nil
                }
                guard let l = latest[j] else {
                    // Never a result: as stale as can be, and past any stride limit.
                    return nil
                }
                if f - l > Int64(strideLimit[j]) { return nil }
                if i < trail.count, trail[i] == j { pending[j] = f }
                total += min(rates[j] * Double(f - l), caps[j])
            }
        }
        return total
    }
}
