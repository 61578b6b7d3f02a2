import Foundation

/// How far the cost model's derived latencies are from measured profiles of the same model on the
/// same GPU type: the whole model, per batch size, against the measured end-to-end time (the
/// pass without per-layer timing) or, where that was not recorded, the sum of the layers.
///
/// A derived profile stands for an optimising runtime (TensorRT, TF32 where the GPU has it); a
/// profile measured in eager PyTorch also pays for launching every kernel from Python, which
/// dominates at small batches on a fast GPU. The comparison reports both regimes apart rather
/// than one number that mixes them.
public struct MeasuredComparison: Sendable {
    public struct Point: Sendable {
        public var model: String
        public var gpu: String
        public var precision: String
        public var batch: Int
        public var measuredUs: Double
        public var derivedUs: Double
        /// (derived − measured) / measured.
        public var error: Double { (derivedUs - measuredUs) / measuredUs }
    }

    public var points: [Point]
    /// Measured profiles skipped, with why (no layer table, GPU not in the catalogue).
    public var skipped: [String]

    public init(measured: [Profile], tables: [LayerTable], catalog: GPUCatalog, costModel: CostModel) {
        points = []
        skipped = []
        for p in measured {
            guard let table = tables.first(where: { $0.model == p.model }) else {
                skipped.append("\(p.model) on \(p.gpu) (\(p.precision)): no layer table"); continue
            }
            guard let gpu = catalog.gpu(named: p.gpu) else {
                skipped.append("\(p.model) on \(p.gpu) (\(p.precision)): \(p.gpu) is not in the GPU catalogue"); continue
            }
            for (i, b) in p.batchSizes.enumerated() {
                let derived = table.layers.reduce(0.0) { $0 + costModel.calibratedSeconds($1, batch: b, on: gpu) * 1e6 }
                points.append(Point(model: p.model, gpu: p.gpu, precision: p.precision, batch: b,
                                    measuredUs: p.endToEndUs?[i] ?? p.totalMeanUs(at: i), derivedUs: derived))
            }
        }
    }

    /// |error| over the points of one GPU type and precision whose batch size lies in `batches`
    /// (per GPU: GPUs differ in how far eager PyTorch is from the derivation).
    public func summary(gpu: String, precision: String, batches: ClosedRange<Int>) -> ErrorSummary {
        ErrorSummary(errors(gpu: gpu, precision: precision, batches: batches).map(abs))
    }

    private func errors(gpu: String, precision: String, batches: ClosedRange<Int>) -> [Double] {
        points.filter { $0.gpu == gpu && $0.precision == precision && batches.contains($0.batch) }.map(\.error)
    }

    /// Median signed error (derived over measured, minus one) of one precision in a batch range:
    /// says whether the model is too fast or too slow, which |error| hides.
    public func medianSignedError(gpu: String, precision: String, batches: ClosedRange<Int>) -> Double {
        ErrorSummary.quantile(errors(gpu: gpu, precision: precision, batches: batches).sorted(), 0.5)
    }
}
