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

/// The cached blocks of generated motion, two per client that has it, in one flat array the
/// world owns: block b of such a client sits at its base + (b & 1) · values, an address the world
/// finds from the client's index and the time (one small per-client record), so its prefetch hint
/// asks for the steps a capture will read without first reading the client's state (a miss of
/// its own).
public struct MotionBlocks: Sendable {
    /// Cumulative degrees at each step boundary of a block, from 0.
    static let values = GeneratedMotion.blockSteps + 1
    var storage: [Double]
    /// Per client: its step and where its two blocks start (step 0: no generated motion).
    private let entries: [(step: SimTime, base: Int)]
    /// The step every client's motion has, when every client has generated motion with the same
    /// step (0 otherwise): client c's blocks then start at c · 2 · values, and the prefetch hint
    /// finds them by arithmetic instead of a load from `entries` that misses at 10,000 clients.
    private let uniformStep: SimTime

    /// Room for two blocks (2 × 65 values, 1,040 bytes) of each client whose generated motion
    /// `motion` gives (nil: none).
    public init(motion: [GeneratedMotion?]) {
        var next = 0
        entries = motion.map { g in
            guard let g else { return (0, -1) }
            defer { next += 2 * Self.values }
            return (g.step, next)
        }
        storage = [Double](repeating: 0, count: next)
        let first = entries.first?.step ?? 0
        uniformStep = entries.allSatisfy { $0.base >= 0 && $0.step == first } ? first : 0
    }

    /// Where client c's blocks start (nil: it has no generated motion).
    public func base(client c: Int) -> Int? {
        c >= 0 && c < entries.count && entries[c].base >= 0 ? entries[c].base : nil
    }

    /// Asks the cache for the two steps around `t` of client c's block (see `World.prefetch`).
    func prefetch(client c: Int, at t: SimTime) {
        guard c >= 0, t >= 0 else { return }
        let step: SimTime, base: Int
        if uniformStep > 0 {
            (step, base) = (uniformStep, c * 2 * Self.values)
        } else {
            guard c < entries.count, entries[c].step > 0 else { return }
            (step, base) = entries[c]
        }
        let (b, j, _) = Self.position(of: t, step: step)
        let at = Self.start(of: b, base: base) + j
        storage.prefetch(at ..< at + 2)
    }

    /// Where instant `t` falls: block b, step j within it, and the fraction of that step gone.
    static func position(of t: SimTime, step: SimTime) -> (block: Int, step: Int, fraction: Double) {
        let i = Int(t / step)
        let fraction = Double(t - SimTime(i) * step) / Double(step)
        return (i / GeneratedMotion.blockSteps, i % GeneratedMotion.blockSteps, fraction)
    }

    /// Where block b of a client whose blocks start at `base` sits: slot b & 1.
    static func start(of b: Int, base: Int) -> Int { base + (b & 1) * values }
}

/// A client's motion during the run: a trajectory read from a file, or generated motion with its
/// checkpoints and which blocks of it `MotionBlocks` holds.
public struct MotionState: Sendable {
    private enum Source: Sendable {
        case trace(MotionTrace)
        case generated(GeneratedMotion, Distribution)
    }
    private let source: Source
    /// Cumulative degrees at the start of each block drawn so far (generated motion).
    private var checkpoints: [Double] = [0]
    /// The block each of the client's two slots in `MotionBlocks` holds (-1: none): block b goes
    /// to slot b & 1, so that the world can tell where a block would be.
    private var cachedBlock = (-1, -1)
    /// The cached blocks' checkpoints, kept here so that a hit need not read `checkpoints`.
    private var cachedBase: (Double, Double) = (0, 0)
    /// Where the client's slots start in `MotionBlocks` (`MotionBlocks.base(client:)`).
    private let offset: Int
    /// The last two instants asked about and the cumulative degrees there: a frame's tasks ask
    /// about the same two (now, and the capture of the frame their results came from), so six
    /// lookups per frame become about two. A pure function of the instant, so results are the
    /// same with or without it.
    private var recent: (time: SimTime, degrees: Double, olderTime: SimTime, olderDegrees: Double) = (-1, 0, -1, 0)

    public init(trace: MotionTrace) {
        source = .trace(trace)
        offset = 0
    }

    /// Generated motion whose blocks live at `offset` of a `MotionBlocks`, as its
    /// `base(client:)` gives for this client: two clients given the same room would overwrite
    /// each other's blocks.
    public init(generated g: GeneratedMotion, blocksAt offset: Int) {
        source = .generated(g, Distribution.lognormal(mean: max(g.meanSpeed, 1e-300), cv: g.cv))
        self.offset = offset
    }

    /// Degrees turned between two times.
    public mutating func rotation(from a: SimTime, to b: SimTime, blocks: inout MotionBlocks) -> Double {
        guard b > a else { return 0 }
        return remembered(b, &blocks) - remembered(a, &blocks)
    }

    private mutating func remembered(_ t: SimTime, _ blocks: inout MotionBlocks) -> Double {
        if t == recent.time { return recent.degrees }
        if t == recent.olderTime { return recent.olderDegrees }
        let degrees: Double
        switch source {
        case .trace(let trace): degrees = trace.cumulative(at: t)
        case .generated: degrees = cumulative(at: t, &blocks)
        }
        recent = (t, degrees, recent.time, recent.degrees)
        return degrees
    }

    private func holds(_ b: Int) -> Bool { (b & 1 == 0 ? cachedBlock.0 : cachedBlock.1) == b }

    private mutating func cumulative(at t: SimTime, _ blocks: inout MotionBlocks) -> Double {
        guard case .generated(let g, _) = source else { return 0 }
        precondition(t >= 0, "motion before the run's start")
        let (b, j, fraction) = MotionBlocks.position(of: t, step: g.step)
        let at = MotionBlocks.start(of: b, base: offset)
        if !holds(b) {
            while checkpoints.count <= b {
                // The block just left is usually still cached: its total needs no second draw.
                let k = checkpoints.count - 1
                let total = holds(k) ? blocks.storage[MotionBlocks.start(of: k, base: offset) + GeneratedMotion.blockSteps] : draw(block: k).last!
                checkpoints.append(checkpoints[k] + total)
            }
            let steps = draw(block: b)
            for v in steps.indices { blocks.storage[at + v] = steps[v] }
            if b & 1 == 0 { (cachedBlock.0, cachedBase.0) = (b, checkpoints[b]) } else { (cachedBlock.1, cachedBase.1) = (b, checkpoints[b]) }
        }
        let base = b & 1 == 0 ? cachedBase.0 : cachedBase.1
        let lo = blocks.storage[at + j], hi = blocks.storage[at + j + 1]
        return base + lo + fraction * (hi - lo)
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
