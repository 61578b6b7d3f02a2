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
