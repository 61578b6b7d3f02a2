import EdgeWorld
import SimKernel

/// The mean accuracy a client's task keeps when it offloads every k-th frame and each result is
/// first shown d frames after its frame (d may be a mean, so fractional): the result of frame f
/// is shown on frames f + d … f + d + k − 1, so the mean staleness is d + (k − 1)/2 and, with the
/// task's linear decay (docs/scenario.md, "accuracy") and the camera turning `degreesPerSecond`
/// on average, the mean accuracy is max(floor, server − (per_frame + per_degree · ω · τ) · (d + (k − 1)/2)).
public func planAccuracy(_ model: AccuracyModel, interval k: Int, delayFrames d: Double, frameTime: SimTime,
                         degreesPerSecond: Double) -> Double {
    let perFrame = model.perFrame + model.perDegree * degreesPerSecond * Double(frameTime) / 1e9
    return max(model.floor, model.server - perFrame * (d + Double(k - 1) / 2))
}

/// ARISE's plan, as reconstructed (docs/policies/arise.md): a cycle of K frame ticks; every
/// stream (a task of an admitted client) offloads at the ticks j with j mod k = φ, k dividing
/// K; at each tick the server launches one batch per model of what arrived since the last.
public struct ARISEPlanner: Sendable {
    public struct Stream: Sendable, Equatable {
        public var client: Int
        public var task: Int
        public var model: Int
        public var accuracy: AccuracyModel

        public init(client: Int, task: Int, model: Int, accuracy: AccuracyModel) {
            self.client = client
            self.task = task
            self.model = model
            self.accuracy = accuracy
        }
    }

    public struct Assignment: Sendable, Equatable {
        public var interval: Int
        public var phase: Int
        /// The accuracy the plan predicts at its worst-case latency.
        public var predicted: Double
    }

    public let tables: [LatencyTable?]
    public let frameTime: SimTime
    public let cycle: Int
    public let sla: Double
    /// Time kept before each launch for the frame to arrive (upload), and after it for the result
    /// to return (download), and the slack each launch leaves for jitter and variable service.
    public internal(set) var upload: SimTime
    /// Measured batch time over profiled worst case, where the server reported more than 1
    /// (drift): plans cost batches this much more.
    public internal(set) var costScale = 1.0
    public let download: SimTime
    public let slack: SimTime
    public let degreesPerSecond: Double
    /// Accuracy the prediction keeps above the SLA, for what a mean hides (motion varies).
    public let margin: Double

    public init(tables: [LatencyTable?], frameTime: SimTime, cycle: Int, sla: Double, upload: SimTime, download: SimTime,
                slack: SimTime, degreesPerSecond: Double, margin: Double = 0) {
        self.margin = margin
        self.tables = tables
        self.frameTime = frameTime
        self.cycle = cycle
        self.sla = sla
        self.upload = upload
        self.download = download
        self.slack = slack
        self.degreesPerSecond = degreesPerSecond
    }

    var divisors: [Int] { (1...cycle).filter { cycle % $0 == 0 } }

    func cost(model: Int, frames: Int) -> SimTime {
        guard frames > 0 else { return 0 }
        guard let table = tables[model], let c = worstCaseCost(frames: frames, table: table) else { return .max / 8 }
        return costScale == 1 ? c : SimTime((Double(c) * costScale).rounded(.up))
    }

    /// The mean number of frames from a frame to the first frame that shows its result. A frame
    /// is captured x before the tick that sends it, x uniform in [0, τ) (the client's camera
    /// clock is its own); its result is back c = x + upload + slack + finish + download after
    /// capture and first shown on frame ⌈c/τ⌉ after it, whose mean over x is (c − x)/τ + 1.
    func delayFrames(finish: SimTime) -> Double {
        Double(upload + slack + finish + download) / Double(frameTime) + 1
    }

    func meets(_ accuracy: Double) -> Bool { accuracy >= sla + margin }

    /// The plan for `streams`, or why none keeps every stream within the SLA.
    public func plan(_ streams: [Stream]) -> Result<[Assignment], PlanError> {
        // Each stream starts at the longest interval that meets the SLA with its batch alone.
        var intervals: [Int] = []
        for s in streams {
            let d = delayFrames(finish: cost(model: s.model, frames: 1))
            guard let k = divisors.last(where: { meets(planAccuracy(s.accuracy, interval: $0, delayFrames: d, frameTime: frameTime,
                                                                      degreesPerSecond: degreesPerSecond)) }) else {
                return .failure(PlanError("a task of model \(s.model) cannot meet accuracy \(sla) even offloading every frame alone"))
            }
            intervals.append(k)
        }
        // Shorten the intervals of streams that miss the SLA at the latency their slot gives,
        // until every stream meets it or a slot no longer fits in one tick.
        while true {
            let phases = assignPhases(streams, intervals: intervals)
            let slots = slotLoads(streams, intervals: intervals, phases: phases)
            for (s, load) in slots.enumerated() {
                let duration = tickDuration(load)
                if duration + slack > frameTime {
                    return .failure(PlanError("tick \(s) of the cycle needs \(NonPreemptiveEDF.ms(duration)) ms of GPU time "
                                              + "plus \(NonPreemptiveEDF.ms(slack)) ms slack, more than a frame (\(NonPreemptiveEDF.ms(frameTime)) ms)"))
                }
            }
            var assignments: [Assignment] = []
            var shortened = false
            for (i, s) in streams.enumerated() {
                // The worst tick this stream uses.
                var worst: SimTime = 0
                var j = phases[i]
                while j < cycle {
                    worst = max(worst, tickDuration(slots[j]))
                    j += intervals[i]
                }
                let a = planAccuracy(s.accuracy, interval: intervals[i], delayFrames: delayFrames(finish: worst), frameTime: frameTime,
                                     degreesPerSecond: degreesPerSecond)
                if !meets(a) {
                    guard let shorter = divisors.last(where: { $0 < intervals[i] }) else {
                        return .failure(PlanError("a task of model \(s.model) misses accuracy \(sla) even offloading every frame (predicted \(NonPreemptiveEDF.format(a)))"))
                    }
                    intervals[i] = shorter
                    shortened = true
                }
                assignments.append(Assignment(interval: intervals[i], phase: phases[i], predicted: a))
            }
            if !shortened { return .success(assignments) }
        }
    }

    /// First fit decreasing: the most frequent streams first, each at the phase that keeps the
    /// busiest of its ticks least busy (ties: the earliest phase).
    func assignPhases(_ streams: [Stream], intervals: [Int]) -> [Int] {
        var phases = Array(repeating: 0, count: streams.count)
        var load = Array(repeating: [Int: Int](), count: cycle)
        let order = streams.indices.sorted { (intervals[$0], $0) < (intervals[$1], $1) }
        for i in order {
            let k = intervals[i], m = streams[i].model
            var best = 0, bestCost = SimTime.max
            for phi in 0..<k {
                var worst: SimTime = 0
                var j = phi
                while j < cycle {
                    var l = load[j]
                    l[m, default: 0] += 1
                    worst = max(worst, tickDuration(l))
                    j += k
                }
                if worst < bestCost { best = phi; bestCost = worst }
            }
            phases[i] = best
            var j = best
            while j < cycle {
                load[j][m, default: 0] += 1
                j += k
            }
        }
        return phases
    }

    func slotLoads(_ streams: [Stream], intervals: [Int], phases: [Int]) -> [[Int: Int]] {
        var load = Array(repeating: [Int: Int](), count: cycle)
        for i in streams.indices {
            var j = phases[i]
            while j < cycle {
                load[j][streams[i].model, default: 0] += 1
                j += intervals[i]
            }
        }
        return load
    }

    /// How long one tick's batches take after its launch: one batch per model, back to back.
    /// Arrival order at a launch is not the plan's to choose, so any model's batch may be the
    /// last: every stream of the tick is planned to finish when all of them have.
    func tickDuration(_ load: [Int: Int]) -> SimTime {
        load.keys.sorted().reduce(0) { $0 + cost(model: $1, frames: load[$1]!) }
    }
}

public struct PlanError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
