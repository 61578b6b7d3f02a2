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

    /// Per profiled batch size, the factor the layer latencies were multiplied by so that they add
    /// up to the measured end-to-end time (1 where they already do or none was measured).
    public let instrumentationScale: [Double]

    public init(profile measured: Profile) throws(LeastSquares.Failure) {
        let (p, scale) = ProfileLatency.withoutInstrumentation(measured)
        instrumentationScale = scale
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

    /// Timing every layer costs time of its own: the profiler records two CUDA events per layer
    /// from Python, and where the GPU outruns the CPU (small batches, eager mode) the layers'
    /// times add up to more than the same pass run without them (tools/profile_model.py prints
    /// both; +50 to +100 % at batch 1 on an H200). Where a profile has the uninstrumented
    /// end-to-end time and its layers add up to more, every layer at that size is scaled by the
    /// same factor, keeping the layers' proportions (which a split needs) and the whole-model
    /// time the GPU actually gave. Layers that add up to less are left alone: that gap is time
    /// no layer can be charged with.
    static func withoutInstrumentation(_ p: Profile) -> (Profile, [Double]) {
        guard let endToEnd = p.endToEndUs else { return (p, p.batchSizes.map { _ in 1 }) }
        let scale = p.batchSizes.indices.map { i -> Double in
            let sum = p.totalMeanUs(at: i)
            return sum > endToEnd[i] && endToEnd[i] > 0 ? endToEnd[i] / sum : 1
        }
        guard scale.contains(where: { $0 != 1 }) else { return (p, scale) }
        var q = p
        func scaled(_ v: [Double]) -> [Double] { v.indices.map { v[$0] * scale[$0] } }
        for l in q.layers.indices {
            q.layers[l].meanUs = scaled(q.layers[l].meanUs)
            q.layers[l].p50Us = q.layers[l].p50Us.map(scaled)
            q.layers[l].p99Us = q.layers[l].p99Us.map(scaled)
            q.layers[l].stdUs = q.layers[l].stdUs.map(scaled)
        }
        return (q, scale)
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
