import SimKernel

/// A link's capacity over time: piecewise constant, repeating after `period`.
///
/// Transfers integrate over it, so a frame sent as the capacity drops takes longer, and a period
/// of zero capacity (an outage) holds it until capacity returns. Cumulative bits at each segment
/// start make "when have these bits gone through?" a binary search, not a walk.
public struct CapacityTrace: Sendable, Equatable {
    /// Start of each segment within the period, ascending, the first at 0.
    public let starts: [SimTime]
    /// Capacity of each segment, bits per second.
    public let rates: [Double]
    public let period: SimTime
    /// Bits delivered from the start of the period to the start of each segment, and to its end.
    private let cumulative: [Double]
    private let bitsPerPeriod: Double

    public init(starts: [SimTime], rates: [Double], period: SimTime) {
        precondition(!starts.isEmpty && starts.count == rates.count && starts[0] == 0, "a trace starts at 0")
        precondition(zip(starts, starts.dropFirst()).allSatisfy { $0 < $1 } && period > starts.last!, "segments must be ordered")
        precondition(rates.allSatisfy { $0 >= 0 } && rates.contains { $0 > 0 }, "a trace needs some capacity")
        self.starts = starts
        self.rates = rates
        self.period = period
        var cumulative = [0.0]
        for i in starts.indices {
            let end = i + 1 < starts.count ? starts[i + 1] : period
            cumulative.append(cumulative[i] + rates[i] * Double(end - starts[i]) / 1e9)
        }
        self.cumulative = cumulative
        bitsPerPeriod = cumulative.last!
    }

    /// A constant capacity.
    public static func constant(bitsPerSecond: Double) -> CapacityTrace {
        CapacityTrace(starts: [0], rates: [bitsPerSecond], period: Time.seconds(1))
    }

    public var isConstant: Bool { rates.count == 1 }
    public var meanBitsPerSecond: Double { bitsPerPeriod / Time.toSeconds(period) }

    /// Bits delivered from time 0 to `t` at full use.
    public func delivered(until t: SimTime) -> Double {
        let periods = t / period
        let offset = t - periods * period
        let i = segment(containing: offset)
        return Double(periods) * bitsPerPeriod + cumulative[i] + rates[i] * Double(offset - starts[i]) / 1e9
    }

    /// The time at which `bits` more bits have gone through a link that starts sending at `start`.
    public func finishTime(start: SimTime, bits: Double) -> SimTime {
        if isConstant { return Self.finishTime(start: start, bits: bits, bitsPerSecond: rates[0]) }
        guard bits > 0 else { return start }
        let target = delivered(until: start) + bits
        var periods = (target / bitsPerPeriod).rounded(.down)
        var rest = target - periods * bitsPerPeriod
        if rest <= 0 {
            // Exactly at a period boundary: the last bit left at the end of the previous period.
            periods -= 1
            rest = bitsPerPeriod
        }
        // The segment in which cumulative bits reach `rest`: the last with cumulative < rest.
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if cumulative[mid] < rest { lo = mid } else { hi = mid - 1 }
        }
        let seconds = (rest - cumulative[lo]) / rates[lo]
        guard periods * Double(period) < 4e18 else { return Time.saturating(nanoseconds: .infinity) }
        let t = SimTime(periods) * period + starts[lo] &+ Time.saturating(nanoseconds: seconds * 1e9)
        return max(t, start)
    }

    /// When `bits` have gone through a link of constant capacity that starts sending at `start`:
    /// the one formula for constant capacity, which hops on simple links (`LinkState`) use
    /// without a trace.
    static func finishTime(start: SimTime, bits: Double, bitsPerSecond: Double) -> SimTime {
        bits > 0 ? start &+ Time.saturating(nanoseconds: bits / bitsPerSecond * 1e9) : start
    }

    private func segment(containing offset: SimTime) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}
