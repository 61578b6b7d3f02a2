import Foundation
import SimKernel

/// The mean time one GPU takes to run a batch, per batch size, for every prefix of a model's
/// layers, so that a batch can run the whole model or any contiguous range of layers (a split,
/// a pipeline stage) by the same lookup.
///
/// A scenario's whole-model table is a table of one layer; a per-layer profile gives one entry
/// per layer (see the `Profiles` module, which also fills in batch sizes between profiled ones).
public struct LatencyTable: Sendable, Equatable {
    public let layerCount: Int
    /// Batch sizes that can run, ascending.
    public let batchSizes: [Int]
    /// prefix[i][l]: time of layers 0..<l at batchSizes[i], nanoseconds.
    private let prefix: [[SimTime]]
    /// Position in `batchSizes` by batch size; -1 where absent.
    private let position: [Int]
    /// Coefficient of variation of the whole model's latency at each batch size, where measured.
    private let spread: [Double?]
    /// Per batch size, prefix sums of the layers' measured p99 (nil where some layer lacks one).
    private var p99Prefix: [[SimTime]?]
    /// For a worst case where no p99 was measured: mean × (1 + margin). A server key
    /// (`p99_margin`, docs/scenario.md) sets it.
    public var worstCaseMargin = 0.1

    /// A whole-model table: one layer, the given batch sizes only.
    public init(_ entries: [(batchSize: Int, latency: SimTime)]) {
        let sorted = entries.sorted { $0.batchSize < $1.batchSize }
        self.init(batchSizes: sorted.map(\.batchSize), layerLatencies: sorted.map { [$0.latency] }, spread: nil)
    }

    /// Per batch size (ascending), the latency of each layer; optionally the measured coefficient
    /// of variation of the whole model at each batch size.
    public init(batchSizes: [Int], layerLatencies: [[SimTime]], spread: [Double?]?) {
        precondition(batchSizes.count == layerLatencies.count && !batchSizes.isEmpty)
        precondition(zip(batchSizes, batchSizes.dropFirst()).allSatisfy { $0 < $1 } && batchSizes[0] >= 1)
        layerCount = layerLatencies[0].count
        self.batchSizes = batchSizes
        prefix = layerLatencies.map { layers in
            var sums = [SimTime](repeating: 0, count: layers.count + 1)
            for (l, t) in layers.enumerated() { sums[l + 1] = sums[l] + t }
            return sums
        }
        var position = [Int](repeating: -1, count: batchSizes.last! + 1)
        for (i, b) in batchSizes.enumerated() { position[b] = i }
        self.position = position
        self.spread = spread ?? Array(repeating: nil, count: batchSizes.count)
        p99Prefix = Array(repeating: nil, count: batchSizes.count)
    }

    /// Adds the layers' measured p99 latencies of `size` (one per layer).
    public mutating func setP99(batchSize size: Int, layers: [SimTime]) {
        guard let i = index(size), layers.count == layerCount else { return }
        var sums = [SimTime](repeating: 0, count: layerCount + 1)
        for (l, t) in layers.enumerated() { sums[l + 1] = sums[l] + t }
        p99Prefix[i] = sums
    }

    /// A worst-case (p99) latency of a batch of `size` through `layers`, and where it comes from:
    /// the sum of the layers' measured p99 where the profile has them at that size (a
    /// conservative bound: the p99 of a sum is at most the sum of the p99s for positively
    /// dependent layers), else mean × (1 + `worstCaseMargin`).
    public func worstCase(batchSize size: Int, layers: Range<Int>) -> (latency: SimTime, measured: Bool)? {
        guard let mean = latency(batchSize: size, layers: layers), let i = index(size) else { return nil }
        if let p = p99Prefix[i] { return (max(mean, p[layers.upperBound] - p[layers.lowerBound]), true) }
        return (SimTime((Double(mean) * (1 + worstCaseMargin)).rounded()), false)
    }

    /// Whether any batch size has measured p99s (for the record of where worst cases come from).
    public var hasMeasuredP99: Bool { p99Prefix.contains { $0 != nil } }

    public static func == (a: LatencyTable, b: LatencyTable) -> Bool {
        a.batchSizes == b.batchSizes && a.prefix == b.prefix
    }

    public var largestBatch: Int { batchSizes.last! }
    public var allLayers: Range<Int> { 0..<layerCount }

    private func index(_ size: Int) -> Int? {
        guard size > 0, size < position.count, position[size] >= 0 else { return nil }
        return position[size]
    }

    /// The mean latency of a batch of `size` through the whole model, if that size can run.
    public func latency(batchSize size: Int) -> SimTime? {
        index(size).map { prefix[$0][layerCount] }
    }

    /// The mean latency of a batch of `size` through `layers`.
    public func latency(batchSize size: Int, layers: Range<Int>) -> SimTime? {
        guard let i = index(size), layers.lowerBound >= 0, layers.upperBound <= layerCount else { return nil }
        return prefix[i][layers.upperBound] - prefix[i][layers.lowerBound]
    }

    /// The measured coefficient of variation of a batch of `size`, if the profile had it.
    public func spread(batchSize size: Int) -> Double? {
        index(size).flatMap { spread[$0] }
    }

    /// The largest batch size that can run and does not exceed `limit`.
    public func largestBatch(notAbove limit: Int) -> Int? {
        batchSizes.last { $0 <= limit }
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
    /// Lognormal with the coefficient of variation the profile measured at that batch size.
    case measured
    /// A fixed part and an exponential part (Joshi, Soljanin and Wornell's shifted exponential):
    /// `shift` of the mean is fixed, the rest exponential. Log-concave: redundancy costs more than
    /// it saves once the shift is large.
    case shiftedExponential(shift: Double)
    /// Pareto with the table's latency as mean and the given shape (> 1): heavy-tailed and
    /// log-convex, where redundancy pays.
    case pareto(shape: Double)
    /// Resampled from measured service times, scaled to the table's latency as mean.
    case empirical(factors: [Double])

    /// A distribution with mean 1 that multiplies the table's latency; for `measured`, the one of
    /// a batch whose measured coefficient of variation is `cv`.
    public func factor(cv: Double? = nil) -> Distribution {
        switch self {
        case .deterministic: return .constant(1)
        case .exponential: return .exponential(mean: 1)
        case .lognormal(let cv): return .lognormal(mean: 1, cv: cv)
        case .measured: return cv.map { $0 > 0 ? .lognormal(mean: 1, cv: $0) : .constant(1) } ?? .constant(1)
        case .shiftedExponential(let shift): return .shiftedExponential(shift: shift, mean: 1 - shift)
        case .pareto(let shape): return .pareto(scale: (shape - 1) / shape, shape: shape)
        case .empirical(let factors): return .empirical(factors)
        }
    }
}
