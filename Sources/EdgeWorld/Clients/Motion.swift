import SimKernel

/// How far a client's camera has turned over time: cumulative rotation, in degrees, sampled at
/// increasing times and repeating after the last sample. Read from a trajectory file (TUM RGB-D,
/// KITTI) or generated from a seeded process.
public struct MotionTrace: Sendable, Equatable {
    /// Sample times, starting at 0.
    public let times: [SimTime]
    /// Cumulative rotation at each sample, degrees, starting at 0 and never decreasing.
    public let degrees: [Double]

    public init(times: [SimTime], degrees: [Double]) {
        precondition(times.count == degrees.count && times.count >= 2 && times[0] == 0 && degrees[0] == 0)
        precondition(zip(times, times.dropFirst()).allSatisfy { $0 < $1 })
        precondition(zip(degrees, degrees.dropFirst()).allSatisfy { $0 <= $1 })
        self.times = times
        self.degrees = degrees
    }

    public var period: SimTime { times.last! }
    public var degreesPerPeriod: Double { degrees.last! }
    /// Mean angular speed, degrees per second.
    public var meanSpeed: Double { degreesPerPeriod / Time.toSeconds(period) }

    /// Cumulative rotation at `t`, interpolated linearly between samples.
    public func cumulative(at t: SimTime) -> Double {
        let periods = t / period
        let offset = t - periods * period
        var lo = 0, hi = times.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if times[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        let base = Double(periods) * degreesPerPeriod
        guard lo + 1 < times.count else { return base + degrees[lo] }
        let f = Double(offset - times[lo]) / Double(times[lo + 1] - times[lo])
        return base + degrees[lo] + f * (degrees[lo + 1] - degrees[lo])
    }

    /// Degrees turned between two times.
    public func rotation(from a: SimTime, to b: SimTime) -> Double {
        b > a ? cumulative(at: b) - cumulative(at: a) : 0
    }

    /// A generated trace: angular speed (deg/s) redrawn every `step` from a lognormal with the given
    /// mean and coefficient of variation, for `length`, from a named stream.
    public static func generated(meanSpeed: Double, cv: Double, step: SimTime, length: SimTime, rng: inout RandomStream) -> MotionTrace {
        let speed = Distribution.lognormal(mean: meanSpeed, cv: cv)
        var times: [SimTime] = [0], degrees: [Double] = [0]
        var t: SimTime = 0
        while t < length {
            let s = meanSpeed > 0 ? speed.sample(&rng) : 0
            t += step
            times.append(t)
            degrees.append(degrees.last! + s * Time.toSeconds(step))
        }
        return MotionTrace(times: times, degrees: degrees)
    }
}

/// Generated camera motion, drawn as simulated time advances rather than up front: angular speed
/// (deg/s) redrawn every `step` from a lognormal with the given mean and coefficient of
/// variation. Steps come in blocks of `blockSteps`, block b drawn from its own stream
/// (`stream` + b), so any block can be drawn again on demand and a client keeps only two blocks
/// and one checkpoint per block: memory no longer grows with the run's length.
public struct GeneratedMotion: Sendable, Equatable {
    public var meanSpeed: Double
    public var cv: Double
    public var step: SimTime
    /// The seed and stream key of block 0 (block b uses key + b).
    public var seed: UInt64
    public var streamKey: UInt64

    static let blockSteps = 64

    public init(meanSpeed: Double, cv: Double, step: SimTime, seed: UInt64, streamKey: UInt64) {
        precondition(meanSpeed >= 0 && cv >= 0 && step > 0)
        self.meanSpeed = meanSpeed
        self.cv = cv
        self.step = step
        self.seed = seed
        self.streamKey = streamKey
    }
}

/// A client's motion during the run: a trajectory read from a file, or generated motion with its
/// cache of recent blocks.
public struct MotionState: Sendable {
    private enum Source: Sendable {
        case trace(MotionTrace)
        case generated(GeneratedMotion, Distribution)
    }
    private let source: Source
    /// Cumulative degrees at the start of each block drawn so far (generated motion).
    private var checkpoints: [Double] = [0]
    /// Two cached blocks: their indices and cumulative degrees at each step boundary (relative to
    /// the block's checkpoint); the older one is replaced next. Flat, one allocation each.
    private var cachedBlock = (-1, -1)
    /// The cached blocks' checkpoints, kept beside them so that a hit reads no other array.
    private var cachedBase: (Double, Double) = (0, 0)
    private var cache: ([Double], [Double]) = ([], [])
    private var replaceSecond = false
    /// The last two instants asked about and the cumulative degrees there: a frame's tasks ask
    /// about the same two (now, and the capture of the frame their results came from), so six
    /// lookups per frame become about two. A pure function of the instant, so results are the
    /// same with or without it.
    private var recent: (time: SimTime, degrees: Double, olderTime: SimTime, olderDegrees: Double) = (-1, 0, -1, 0)

    public init(trace: MotionTrace) { source = .trace(trace) }

    public init(generated g: GeneratedMotion) {
        source = .generated(g, Distribution.lognormal(mean: max(g.meanSpeed, 1e-300), cv: g.cv))
    }

    /// Degrees turned between two times.
    public mutating func rotation(from a: SimTime, to b: SimTime) -> Double {
        guard b > a else { return 0 }
        return remembered(b) - remembered(a)
    }

    private mutating func remembered(_ t: SimTime) -> Double {
        if t == recent.time { return recent.degrees }
        if t == recent.olderTime { return recent.olderDegrees }
        let degrees: Double
        switch source {
        case .trace(let trace): degrees = trace.cumulative(at: t)
        case .generated: degrees = cumulative(at: t)
        }
        recent = (t, degrees, recent.time, recent.degrees)
        return degrees
    }

    private mutating func cumulative(at t: SimTime) -> Double {
        guard case .generated(let g, _) = source else { return 0 }
        let i = Int(t / g.step)
        let fraction = Double(t - SimTime(i) * g.step) / Double(g.step)
        let b = i / GeneratedMotion.blockSteps, j = i % GeneratedMotion.blockSteps
        // A hit reads the cached block where it is: taking it out as a value would retain the
        // array, itself a miss on its header when thousands of clients take turns.
        if cachedBlock.0 == b { return cachedBase.0 + cache.0[j] + fraction * (cache.0[j + 1] - cache.0[j]) }
        if cachedBlock.1 == b { return cachedBase.1 + cache.1[j] + fraction * (cache.1[j + 1] - cache.1[j]) }
        while checkpoints.count <= b {
            // The block just left is usually still cached: its total needs no second draw.
            let k = checkpoints.count - 1
            checkpoints.append(checkpoints[k] + (cached(block: k) ?? draw(block: k)).last!)
        }
        let steps = draw(block: b)
        if replaceSecond {
            (cachedBlock.1, cachedBase.1, cache.1) = (b, checkpoints[b], steps)
        } else {
            (cachedBlock.0, cachedBase.0, cache.0) = (b, checkpoints[b], steps)
        }
        replaceSecond.toggle()
        return checkpoints[b] + steps[j] + fraction * (steps[j + 1] - steps[j])
    }

    private func cached(block b: Int) -> [Double]? {
        cachedBlock.0 == b ? cache.0 : cachedBlock.1 == b ? cache.1 : nil
    }

    /// Cumulative degrees at each step boundary of block b, from 0.
    private func draw(block b: Int) -> [Double] {
        guard case .generated(let g, let speed) = source else { return [0] }
        var rng = RandomStream(seed: g.seed, key: g.streamKey &+ UInt64(b))
        var out = [Double](repeating: 0, count: GeneratedMotion.blockSteps + 1)
        let seconds = Time.toSeconds(g.step)
        for k in 0..<GeneratedMotion.blockSteps {
            let s = g.meanSpeed > 0 ? speed.sample(&rng) : 0
            out[k + 1] = out[k] + s * seconds
        }
        return out
    }
}
