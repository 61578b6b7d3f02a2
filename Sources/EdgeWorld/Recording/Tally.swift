import Histogram
import SimKernel

/// Running statistics over a set of requests and frames, in constant memory: counts, sums for
/// exact means, an HDR histogram (3 significant digits) for latency percentiles and a fixed
/// 0.001-wide histogram for accuracy percentiles.
public struct Tally: Sendable {
    /// Logical requests (a redundant copy that lost is not one).
    public private(set) var requests = 0
    public private(set) var completed = 0
    public private(set) var met = 0
    public private(set) var unfinished = 0
    public private(set) var cancelled = 0
    public private(set) var dropped: [Int] = Array(repeating: 0, count: DropReason.allCases.count)
    public private(set) var latencySum: Double = 0
    public private(set) var queueWaitSum: Double = 0
    public private(set) var serviceSum: Double = 0
    public private(set) var networkSum: Double = 0
    public private(set) var latency: Histogram<UInt64>
    /// Percentiles are kept only where asked for: a full histogram per client would cost megabytes.
    public let keepsPercentiles: Bool
    public private(set) var frames = 0
    /// Frames with a result shown, the sum of those results' staleness in frames, and frames
    /// whose result came from the local fallback.
    public private(set) var framesWithResult = 0
    public private(set) var stalenessSum = 0
    public private(set) var fallbackFrames = 0
    public private(set) var accuracySum: Double = 0
    private var accuracyBins: [Int] = []

    public init(percentiles: Bool = true) {
        keepsPercentiles = percentiles
        latency = percentiles
            ? Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
            : Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: .zero)
        latency.autoResize = percentiles
        if percentiles { accuracyBins = Array(repeating: 0, count: 1001) }
    }

    public var droppedTotal: Int { dropped.reduce(0, +) }

    /// Latency in ns at each of `fractions` (ascending, in 0…1); empty without percentiles.
    public func latencyQuantiles(_ fractions: [Double]) -> [UInt64] {
        keepsPercentiles ? Self.quantiles(latency, at: fractions) : []
    }

    /// A histogram's values at `fractions` (ascending, in 0…1) in one pass: the same as
    /// `valueAtPercentile(f · 100)`, which scans the histogram from its start for each; 1 gives
    /// its `max`, as the summary's maximum does.
    public static func quantiles(_ latency: Histogram<UInt64>, at fractions: [Double]) -> [UInt64] {
        let total = latency.totalCount
        guard total > 0 else { return [] }
        var values = latency.recordedValues()
        var seen: UInt64 = 0, bucket = latency.min
        return fractions.map { f in
            if f <= 0 { return latency.min }
            if f >= 1 { return latency.max }
            let p = Swift.min(Swift.max((f * 100).nextDown, 0), 100)
            let target = Swift.max(1, UInt64((p * Double(total) / 100).rounded(.up)))
            while seen < target, let v = values.next() {
                seen += UInt64(v.count)
                bucket = v.value
            }
            return Swift.max(Swift.min(bucket, latency.maxRecorded), latency.min)
        }
    }

    mutating func add(_ record: RequestRecord) {
        let r = record.request
        switch record.outcome {
        case .cancelled:
            cancelled += 1
            return
        case .completed:
            completed += 1
            if record.metDeadline { met += 1 }
            let latencyNs = r.completed - r.created
            latencySum += Double(latencyNs)
            if r.batchStart >= 0 {
                queueWaitSum += Double(r.batchStart - r.queued)
                serviceSum += Double(r.batchEnd - r.batchStart)
            }
            if r.sent >= 0 {
                let device = r.deviceEnd >= 0 ? r.deviceEnd - r.deviceStart : 0
                let gpu = r.batchStart >= 0 ? (r.batchEnd - r.arrived) : 0
                networkSum += Double(max(0, latencyNs - device - gpu))
            }
            if keepsPercentiles { latency.record(UInt64(max(latencyNs, 0))) }
        case .dropped(let reason):
            dropped[DropReason.allCases.firstIndex(of: reason)!] += 1
        case .unfinished:
            unfinished += 1
        }
        requests += 1
    }

    /// Adds another tally's requests (not its frames). Counts and the sums, which hold whole
    /// nanoseconds, add exactly in any order, and merged histograms equal one fed every value,
    /// so rolling cells up gives the same tally as recording each request into it.
    mutating func addRequests(of other: Tally) {
        requests += other.requests
        completed += other.completed
        met += other.met
        unfinished += other.unfinished
        cancelled += other.cancelled
        for i in dropped.indices { dropped[i] += other.dropped[i] }
        latencySum += other.latencySum
        queueWaitSum += other.queueWaitSum
        serviceSum += other.serviceSum
        networkSum += other.networkSum
        if keepsPercentiles && other.keepsPercentiles { latency.add(other.latency) }
    }

    mutating func add(frame: FrameRecord) {
        frames += 1
        accuracySum += frame.accuracy
        if frame.staleness >= 0 {
            framesWithResult += 1
            stalenessSum += Int(frame.staleness)
        }
        if frame.source == .local { fallbackFrames += 1 }
        guard keepsPercentiles else { return }
        accuracyBins[Int((min(max(frame.accuracy, 0), 1) * 1000).rounded())] += 1
    }

    /// The accuracy below which a share `q` of frames lie (to 0.001).
    public func accuracyQuantile(_ q: Double) -> Double? {
        guard frames > 0, !accuracyBins.isEmpty else { return nil }
        let target = Int((q * Double(frames)).rounded(.up))
        var seen = 0
        for (i, n) in accuracyBins.enumerated() {
            seen += n
            if seen >= max(target, 1) { return Double(i) / 1000 }
        }
        return 1
    }
}
