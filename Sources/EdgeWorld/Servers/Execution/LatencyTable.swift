import SimKernel

/// The mean time one GPU takes to run a batch of a model, per batch size.
///
/// This is the whole-model table a scenario gives directly; per-layer profiles produce the same
/// table by summing the layers a request still has to run.
public struct LatencyTable: Sendable, Equatable {
    /// (batch size, mean latency), sorted by batch size.
    public let entries: [(batchSize: Int, latency: SimTime)]
    private let dense: [SimTime]   // index = batch size; -1 where the table has no entry

    public init(_ entries: [(batchSize: Int, latency: SimTime)]) {
        let sorted = entries.sorted { $0.batchSize < $1.batchSize }
        self.entries = sorted
        var dense = Array(repeating: SimTime(-1), count: (sorted.last?.batchSize ?? 0) + 1)
        for e in sorted { dense[e.batchSize] = e.latency }
        self.dense = dense
    }

    public static func == (a: LatencyTable, b: LatencyTable) -> Bool {
        a.dense == b.dense
    }

    public var batchSizes: [Int] { entries.map(\.batchSize) }
    public var largestBatch: Int { entries.last?.batchSize ?? 0 }

    /// The mean latency of a batch of `size`, if the table has it.
    public func latency(batchSize size: Int) -> SimTime? {
        guard size > 0, size < dense.count, dense[size] >= 0 else { return nil }
        return dense[size]
    }

    /// The largest batch size in the table that does not exceed `limit`.
    public func largestBatch(notAbove limit: Int) -> Int? {
        entries.last { $0.batchSize <= limit }?.batchSize
    }
}

/// Run-to-run variability of batch service times around the table's mean.
public enum ServiceVariability: Sendable, Equatable {
    /// Always exactly the table's latency.
    case deterministic
    /// Exponentially distributed with the table's latency as mean (the M in M/M/c).
    case exponential
    /// Lognormal with the table's latency as mean and the given coefficient of variation.
    case lognormal(cv: Double)

    /// A distribution with mean 1 that multiplies the table's latency.
    public var factor: Distribution {
        switch self {
        case .deterministic: return .constant(1)
        case .exponential: return .exponential(mean: 1)
        case .lognormal(let cv): return .lognormal(mean: 1, cv: cv)
        }
    }
}
