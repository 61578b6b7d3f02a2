import Histogram
import SimKernel

/// Running statistics over a set of requests, in constant memory: counts, sums for exact means,
/// and an HDR histogram (3 significant digits) for latency percentiles.
public struct Tally: Sendable {
    public private(set) var requests = 0
    public private(set) var completed = 0
    public private(set) var met = 0
    public private(set) var unfinished = 0
    public private(set) var dropped: [Int] = Array(repeating: 0, count: DropReason.allCases.count)
    public private(set) var latencySum: Double = 0
    public private(set) var queueWaitSum: Double = 0
    public private(set) var serviceSum: Double = 0
    public private(set) var networkSum: Double = 0
    public private(set) var latency: Histogram<UInt64>

    public init() {
        latency = Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 10_000_000_000,
                                    numberOfSignificantValueDigits: .three)
        latency.autoResize = true
    }

    public var droppedTotal: Int { dropped.reduce(0, +) }

    mutating func add(_ record: RequestRecord) {
        requests += 1
        let r = record.request
        switch record.outcome {
        case .completed:
            completed += 1
            if record.metDeadline { met += 1 }
            let latencyNs = r.completed - r.created
            latencySum += Double(latencyNs)
            queueWaitSum += Double(r.batchStart - r.queued)
            serviceSum += Double(r.batchEnd - r.batchStart)
            networkSum += Double((r.arrived - r.created) + (r.completed - r.batchEnd))
            latency.record(UInt64(max(latencyNs, 0)))
        case .dropped(let reason):
            dropped[DropReason.allCases.firstIndex(of: reason)!] += 1
        case .unfinished:
            unfinished += 1
        }
    }
}
