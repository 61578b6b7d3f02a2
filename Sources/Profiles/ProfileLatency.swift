import EdgeWorld
import SimKernel

/// Turns a profile into the latency table the simulator looks up.
///
/// Profiled batch sizes keep their measured means. Sizes between them come from a least-squares
/// line per layer, latency(b) = a + c·b over the profiled sizes (one LAPACK `dgels` call for all
/// layers), whose residual is reported. Sizes beyond the largest profiled one are not invented.
public struct ProfileLatency: Sendable {
    public let table: LatencyTable
    /// Root-mean-square residual of the per-layer fits at the profiled sizes, microseconds per
    /// layer; nil when fewer than three sizes were profiled (a line through two points has none).
    public let fitResidualUs: Double?
    /// The largest residual of any one layer, microseconds.
    public let worstLayerResidualUs: Double?

    public init(profile p: Profile) throws(LeastSquares.Failure) {
        let sizes = p.batchSizes
        let layerCount = p.layers.count
        // Per-layer coefficients (a, c); only needed with two or more sizes.
        var fit: [[Double]] = []
        var rms: Double?
        var worst: Double?
        if sizes.count >= 2 {
            let a = sizes.flatMap { [1.0, Double($0)] }
            var b = [Double](repeating: 0, count: sizes.count * layerCount)
            for (i, _) in sizes.enumerated() {
                for (l, layer) in p.layers.enumerated() { b[i * layerCount + l] = layer.meanUs[i] }
            }
            fit = try LeastSquares.solve(a: a, rows: sizes.count, columns: 2, b: b, rightHandSides: layerCount)
            if sizes.count >= 3 {
                var total = 0.0
                var largest = 0.0
                for (l, layer) in p.layers.enumerated() {
                    var sum = 0.0
                    for (i, size) in sizes.enumerated() {
                        let r = fit[l][0] + fit[l][1] * Double(size) - layer.meanUs[i]
                        sum += r * r
                    }
                    total += sum
                    largest = max(largest, (sum / Double(sizes.count)).squareRoot())
                }
                rms = (total / Double(sizes.count * layerCount)).squareRoot()
                worst = largest
            }
        }
        let all = sizes.count >= 2 ? Array(sizes.first!...sizes.last!) : sizes
        var latencies: [[SimTime]] = []
        var spread: [Double?] = []
        var lastSpread: Double?
        for b in all {
            if let i = sizes.firstIndex(of: b) {
                latencies.append(p.layers.map { Time.microseconds($0.meanUs[i]) })
                lastSpread = ProfileLatency.spread(p, at: i)
            } else {
                latencies.append(fit.map { Time.microseconds(max(0, $0[0] + $0[1] * Double(b))) })
            }
            spread.append(lastSpread)
        }
        var table = LatencyTable(batchSizes: all, layerLatencies: latencies, spread: spread)
        for (i, b) in sizes.enumerated() where p.layers.allSatisfy({ $0.p99Us != nil }) {
            table.setP99(batchSize: b, layers: p.layers.map { Time.microseconds($0.p99Us![i]) })
        }
        self.table = table
        fitResidualUs = rms
        worstLayerResidualUs = worst
    }

    /// Coefficient of variation of the whole model at the i-th profiled size: from the
    /// end-to-end spread if measured, else the layers' standard deviations added as independent.
    static func spread(_ p: Profile, at i: Int) -> Double? {
        guard p.layers.allSatisfy({ $0.stdUs != nil }) else { return nil }
        let mean = p.totalMeanUs(at: i)
        guard mean > 0 else { return nil }
        let variance = p.layers.reduce(0.0) { $0 + $1.stdUs![i] * $1.stdUs![i] }
        return variance.squareRoot() / mean
    }
}
